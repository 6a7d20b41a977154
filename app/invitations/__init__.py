"""Invitations and events: campaigns, personal RSVP pages, reconfirmation, events and tables.

Entry points: `views.bp` (staff pages: campaigns, call lists, events), `public.bp` (`/r/<token>`,
the customer's RSVP page), `services` (invite, answer, resend), `rules` (who may be invited, rates),
`jobs` (reminders and post-event tasks), `ics` (calendar file), `panels` (lead-page panel).
"""
