"""Domain errors raised by rules and services, with a stable code tests can assert."""


class DomainError(Exception):
    """A business rule refused an operation."""

    def __init__(self, code: str, message: str = "", **details):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = details


class ConflictError(DomainError):
    """Someone else changed the object since the user loaded it."""
