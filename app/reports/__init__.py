"""Reports: the management figures, charts, Excel exports and the printed monthly PDF.

Entry points: `views.bp` (`/reports`); `catalog` (the registry: `REPORTS` / `BY_KEY` / `reports_for`,
which report keys exist, their titles, sections, roles and "group by" choices); `builders/` (one
module per report family turning a filter into a table and charts); `queries`, `queries_visits`,
`queries_daily` (all report SQL, as named functions); `rules` (one definition per figure);
`generate` / `pdf` (the monthly PDF as a task), `excel`, `cli` (`flask reports monthly`).
"""
