"""render(): the whole page, or only the requested block for an HTMX request."""

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render `block` of `template` for HTMX requests, else the full page; add Vary."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def render_fragment(template: str, block: str, page_url: str, status: int = 200, **context):
    """For an endpoint that only refreshes one block of a page: HTMX gets the block; a plain
    request (a reload or a bookmark of the fragment's URL) is sent to the page it belongs to."""
    if not is_htmx():
        from flask import redirect

        return redirect(page_url, code=302)
    return render(template, block=block, status=status, **context)


def hx_redirect(url: str):
    """Tell htmx to navigate (200 + HX-Redirect); plain requests get a 303."""
    from flask import redirect

    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
