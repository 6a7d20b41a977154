"""The report builders, one module per family: each turns a ReportFilter into a Table with its charts.

`app.reports.catalog` registers them (key, title, section, roles, "group by" choices); the pages,
the Excel export and the monthly PDF build every report through the builders here. A builder reads
its figures only through `app.reports.queries*` (aggregated SQL) and lays them out in rows, columns,
totals and charts; it runs no SQL of its own.

Families: `funnel`, `sources`, `followups`, `defeats` (sales); `showroom` (traffic, sources of
visits, retention) and `arrivals`; `daily`, `activity`, `prospects`, `discipline` (daily work);
`invitations`, `dcc`, `satisfaction` (invitations and DCC); `comparison`, `trends` and `kpis` (the
headline figures) for management. `shared` holds what several families use.
"""
