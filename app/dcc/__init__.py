"""The call centre (DCC): find or create the caller, note the call, work the outbound queue,
book appointments for consultants.

Entry points: `views.bp` (mounted at /dcc), `services` (lookups, call notes, bookings),
`queries` (the queue).
"""
