"""The audit log: who did what to which record, chained by hashes so tampering shows.

Entry points: `services.record` (write one entry), `chain.verify` (`flask audit verify`) and
`chain.install` (the hash chain on every insert), `labels` (how each action reads on screen), `models.AuditEntry`.
"""
