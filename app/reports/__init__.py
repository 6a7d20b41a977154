"""Reports: the management figures, charts, Excel exports and the printed monthly PDF.

Entry points: `views.bp` (`/reports`), the report builders and their `queries`, `rules` (one
definition per figure), `generate` / `pdf` (the monthly PDF as a task), `excel`, `cli`
(`flask reports monthly`).
"""
