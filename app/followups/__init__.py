"""The follow-up loop: plans on the grade's cadence, follow-ups, manager comments, assignment
proposals, defeat requests, reclaim and penalties.

Entry points: `views.bp` (consultant pages: plans, follow-up form), `views_manager` (批示 review,
审批 approvals), `views_pool` (分配 pool, 回收 reclaim), `services` / `plans` / `assignment` /
`defeats` (the decisions, as plain functions), `rules` (cadence, reclaim, deadlines),
`jobs` (overdue plans, reminders, first-contact breaches, reclaim notices, the daily digest), `panels` (lead-page panels).
"""
