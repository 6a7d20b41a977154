"""Accounts: users, roles, login, passwords and the second factor.

Entry points: `views.bp` (login, logout, password change, second-factor enrolment and check),
`services` (create, deactivate with hand-over, password rules), `mfa` (TOTP and recovery codes),
`devices` ("keep me signed in on this device": remembered devices, revocable),
`models.User` / `models.Role`, `jobs` (purging revoked sessions, dead device sessions and expired rate-limit rows).
"""
