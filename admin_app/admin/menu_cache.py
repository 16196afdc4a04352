"""The navigation menu rendered once per kind of reader, not on every page.

Flask-Admin's menu macro asks every view whether it is accessible, visible and active and
builds its URL: some 220 template calls per page, a tenth of a client card's rendering. What
it shows depends only on the views (fixed once the app is set up), the reader's language, what
their role lets them open and the page they are on; so the HTML is remembered under exactly
that, per application.
"""
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

# Views × languages × three kinds of reader (anonymous, user, admin): a few hundred at most.
KEPT = 512


def _reader() -> tuple[bool, bool]:
    # What SecureMixin.is_accessible looks at; a view deciding on anything else must not be
    # cached here (tests/test_menu_cache.py renders every page both ways to check).
    if not current_user.is_authenticated:
        return False, False
    return True, bool(current_user.is_admin)


def cached_menu(render: Callable[[], Markup], admin_view) -> Markup:
    """`render()` (the menu macro, bound to the page's context) or its remembered output."""
    cache: OrderedDict = current_app.extensions.setdefault("menu_html", OrderedDict())
    admin = getattr(admin_view, "admin", None)
    # The number of views: one added later (a plug-in, a benchmark's stock views) shows.
    key = (str(get_locale()), _reader(), getattr(admin_view, "endpoint", None),
           request.script_root, len(admin._views) if admin else 0)
    html = cache.get(key)
    if html is None:
        html = cache[key] = render()  # a macro of an autoescaping template: Markup already
        if len(cache) > KEPT:
            cache.popitem(last=False)
    return html


def init_app(app: Flask) -> None:
    app.jinja_env.globals["cached_menu"] = cached_menu
