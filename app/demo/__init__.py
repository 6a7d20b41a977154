"""Demo and benchmark data: `flask seed-demo` (`seed`), the bulk loader for large volumes
(`bulk`), and the demo events (`events`).
"""
