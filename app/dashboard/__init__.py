"""The home page of every role (工作台): today's and overdue plans, first-contact deadlines,
queues waiting for a decision.

Entry points: `views.bp` (`/`), `queries` (one function per card, each a constant number of
statements).
"""
