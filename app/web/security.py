"""Security headers on every response; no-store on pages that show personal data."""

from flask import request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Public token pages may be embedded nowhere either; the booking form is embeddable.
EMBEDDABLE_PREFIXES = ("/f/",)


def init_app(app) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Set CSP, nosniff, framing, referrer and caching headers."""
    headers = response.headers
    csp = CSP
    if request.path.startswith(EMBEDDABLE_PREFIXES):
        csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
    else:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages carry personal data: never keep them in shared or browser caches.
        headers.setdefault("Cache-Control", "no-store")
    return response
