"""Administration: stores, users, reference data (channels, grades, stages, reasons, vehicles),
rules, the outbox and the audit log as an administrator sees them.

Entry points: `views.bp` (mounted at /admin), `reference_views` and `outbox_views` / `audit_views`
(routes on the same blueprint), `reference` (cached reference lookups every domain reads),
`defaults.ensure_reference_data`, `rules` (store settings as plain functions), `cli` (`flask stores`,
`flask users`).
"""
