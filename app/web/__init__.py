"""Cross-cutting web glue: rendering, errors, permissions, sessions, security headers."""
