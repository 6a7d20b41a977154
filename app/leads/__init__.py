"""Leads: capture from every channel (one customer per phone number), the list, the lead page,
editing, merging, transfers, imports and exports, the intake API and the public booking form.

Entry points: `views.bp` (`/leads`: list, lead page, entry), `manage_views` (bulk actions, merge,
transfer), `api.bp` (`/api/v1`), `public.bp` (`/f/<store>`), `apikeys_views.bp`, `importing`
(CSV/Excel imports as tasks), `services` / `entry` / `intake` / `editing` / `merge` / `bulk` (the
decisions), `queries` and `filters` (list queries), `models.Lead`.
"""
