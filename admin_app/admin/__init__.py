"""The Flask-Admin site, built inside a function so every create_app() gets its own."""
from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from .dashboard import DashboardView
from ..security_headers import csp_nonce
from ..services.html import safe_html
from .labels import status_label
from .links import company_link, company_url
from .menu_cache import init_app as init_menu_cache
from .views import add_model_views


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=_l("Client back office"),
        theme=Bootstrap4Theme(base_template="admin/app_base.html", fluid=True),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=csp_nonce,
    )
    add_model_views(admin)
    init_menu_cache(app)
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals.update(company_url=company_url, company_link=company_link,
                                 safe_html=safe_html)
    return admin
