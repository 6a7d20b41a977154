"""Addresses built from endpoint names, inside a request or outside one (jobs, the worker).

Code never writes a path by hand: `path_for` and `public_url` build it with the URL map, so a moved
route moves every link with it and a misspelt endpoint fails loudly (BuildError).
"""

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **args) -> str:
    """The path of `endpoint` with `args`, with or without a request."""
    if has_request_context():
        return url_for(endpoint, **args)
    return current_app.url_map.bind("localhost").build(endpoint, args)


def public_url(endpoint: str, **args) -> str:
    """The absolute address a customer or a message recipient opens (PUBLIC_BASE_URL + path)."""
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + path_for(endpoint, **args)
