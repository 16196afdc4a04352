"""Response headers that limit what a page may do in the browser: a nonce-based
Content-Security-Policy, no caching of what a logged-in user sees, and the classic hardening
headers.

Every inline `<script>` carries the request's nonce (`{{ admin_csp_nonce_attribute }}` in
Flask-Admin templates, `nonce="{{ csp_nonce() }}"` elsewhere); inline event handlers
(`onclick=`) are not allowed: `static/behaviours.js` gives `data-confirm` and its siblings their
meaning instead.
"""
import secrets

from flask import Flask, request

# Endpoints that serve files from the code base (no user data): the browser may cache them.
STATIC_ENDPOINTS = frozenset({"static", "admin.static"})


# Kept in the request's WSGI environ, not in `g`: `g` lives as long as the app context, which a
# test (or a CLI command) may keep open across several requests.
NONCE_KEY = "backoffice.csp_nonce"


def csp_nonce() -> str:
    """This request's nonce, made on first use; a response whose page used none gets none."""
    environ = request.environ
    if NONCE_KEY not in environ:
        environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return environ[NONCE_KEY]


def content_security_policy(nonce: str | None) -> str:
    """The policy for one response; scripts run only when they carry `nonce`."""
    directives = {
        "default-src": "'self'",
        # No 'self' either: an uploaded document is served from this origin, and with 'self'
        # a script tag injected somewhere could load it as code. Only nonced scripts run.
        "script-src": f"'nonce-{nonce}'" if nonce else "'none'",
        # 'unsafe-inline' for styles only: Flask-Admin's templates and widgets (select2, the
        # date pickers) and ours write style="" attributes, which no nonce can cover. Styles
        # cannot run code; the scripts above stay strict.
        "style-src": "'self' 'unsafe-inline'",
        # data: for Bootstrap's inline SVG icons (select arrows, checkboxes).
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response the app sends."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        nonce = request.environ.get(NONCE_KEY)
        headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The same as frame-ancestors 'none', for browsers that only know this one.
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            # Pages show client data and carry a nonce and a CSRF token: never reuse a copy, not
            # in the browser's cache nor in a proxy's, not after logout with the back button.
            headers["Cache-Control"] = "no-store"
        return response
