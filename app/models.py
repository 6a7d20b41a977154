"""Import every model so metadata (and Alembic) sees the whole schema."""


__all__ = [name for name in dir() if not name.startswith("_")]
