"""Security headers on every response, and which requests count as HTTPS behind a proxy.

The pages load scripts and styles only from the site's own files (no inline ``<script>``, no
``style=""``, the charts styled by SVG attributes), so the Content Security Policy can forbid
everything else: an injected script or style does not run even if escaping were ever missed.
"""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # Bootstrap draws its form icons as data: SVG
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # No address of ours leaves the site: page addresses carry shipment references and search
    # terms, which are nobody else's business, and the site links out almost nowhere. Forms and
    # the CSRF check still see the Referer of our own pages.
    "Referrer-Policy": "same-origin",
    # For browsers that predate frame-ancestors: no other site may frame our pages (clickjacking).
    "X-Frame-Options": "DENY",
}

STRICT_TRANSPORT_SECURITY = "max-age=31536000"
"""A year of HTTPS only, for this host alone: the app knows nothing of the domain's subdomains."""


def add_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself (a view's stricter choice stands)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        # Sent over plain HTTP the header would be ignored, and could be forged by anybody there.
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def trust_reverse_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from X-Forwarded-* when PROXY_COUNT proxies
    are configured in front; otherwise leave the request as the server saw it."""
    count = app.config["PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
