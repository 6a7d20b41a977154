"""Addresses built from endpoint names, inside a request or outside one (jobs, the worker).

Code never writes a path by hand: `path_for` and `public_url` build it with the URL map, so a moved
route moves every link with it and a misspelt endpoint fails loudly (BuildError).
"""

from collections.abc import Callable

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **args) -> str:
    """The path of `endpoint` with `args`, with or without a request."""
    if has_request_context():
        return url_for(endpoint, **args)
    return current_app.url_map.bind("localhost").build(endpoint, args)


def public_url(endpoint: str, **args) -> str:
    """The absolute address a customer or a message recipient opens (PUBLIC_BASE_URL + path)."""
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + path_for(endpoint, **args)


_SLOT = 918273645  # an id no real object has: where the id goes in the built path


def paths_for(endpoint: str, key: str, **args) -> Callable[[int], str]:
    """Return id -> path of `endpoint` with the id as its `key` argument (an int route argument),
    built with one url_for for a whole page of rows instead of one per row."""
    head, slot, tail = path_for(endpoint, **{key: _SLOT}, **args).partition(str(_SLOT))
    if not slot or str(_SLOT) in tail:
        raise ValueError(f"{endpoint}: {key} is not one place in its path")
    return lambda value: f"{head}{int(value)}{tail}"
