"""Invitations and events: campaigns, personal RSVP pages, reconfirmation, events and tables.

Entry points: `views.bp` (staff pages: events and metrics; `views_campaigns` campaigns and call
lists, `views_leads` the lead page's invitation actions, on the same blueprint), `public.bp`
(`/r/<token>`, the customer's RSVP page), `services` (invite, answer, resend), `calls` (what a
call-list card shows and why a message is blocked), `rules` (who may be invited, rates),
`jobs` (reminders and post-event tasks), `ics` (calendar file), `panels` (lead-page panel).
"""
