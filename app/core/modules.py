"""Import optional domain modules by name (a module not written yet is skipped)."""

import importlib
from types import ModuleType


def import_optional(module_name: str) -> ModuleType | None:
    """Import `module_name`, or return None when it (or its package) does not exist."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise
