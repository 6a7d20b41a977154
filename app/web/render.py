"""render(): the whole page, or only the requested block for an HTMX request."""

from flask import make_response, render_template
from jinja2_fragments.flask import render_block

from app.web.htmx import hx_redirect, is_htmx, vary

__all__ = [
    "hx_redirect",
    "is_htmx",
    "render",
    "render_fragment",
]  # views import the htmx helpers from here too


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render `block` of `template` for HTMX requests, else the full page; add Vary."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return vary(make_response(body, status))


def render_fragment(template: str, block: str, page_url: str, status: int = 200, **context):
    """For an endpoint that only refreshes one block of a page: HTMX gets the block; a plain
    request (a reload or a bookmark of the fragment's URL) is sent to the page it belongs to."""
    if not is_htmx():
        from flask import redirect

        return redirect(page_url, code=302)
    return render(template, block=block, status=status, **context)
