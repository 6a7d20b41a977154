"""Small shared building blocks: time, errors, enums."""
