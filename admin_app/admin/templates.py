"""Configuration > Templates (/admin/templates/): every kind of template on one page, with its
editor, the variables it may use and a live preview on a company and contact of the data."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..ids import parse_id
from ..models import Company, Contact
from ..services.template_vars import FILTER_HELP, GROUP_HELP, VARIABLES
from ..services.templates import (
    KIND_LABELS, MODELS, PURPOSES, delete_template, duplicate_template, groups_for, make_default,
    preview, rename_template, save_template,
)
from ..services.templating import TemplateProblem
from ..unit_of_work import unit_of_work
from .args import without_nul
from .base import SecureBaseView

TABS = (("email", _l("Email templates")), ("comment", _l("Comment templates")),
        ("document", _l("Document texts")))
LIST_VIEWS = {"comment": "commenttemplate.index_view", "email": "emailtemplate.index_view"}
PICKER_SIZE = 30


def _kind(value: str | None) -> str:
    return value if value in MODELS else "email"


def _template_or_404(kind: str, template_id):
    template = db.session.get(MODELS[kind], parse_id(template_id) or 0)
    if template is None:
        abort(404)
    return template


class TemplatesView(SecureBaseView):
    """Comment templates, email templates and document texts: create, edit, duplicate, rename,
    delete, make default, preview."""

    admin_only = True

    @expose("/", methods=("GET",))
    def index(self):
        kind = _kind(request.args.get("tab"))
        template = None
        if request.args.get("id"):
            template = _template_or_404(kind, request.args.get("id"))
        return self._page(kind, template, values=None)

    def _page(self, kind: str, template, values: dict | None, status: int = 200):
        model = MODELS[kind]
        purposes = PURPOSES[kind]
        if values is None:
            values = {"name": template.name if template else "",
                      "purpose": getattr(template, "purpose", None)
                      or request.args.get("purpose") or next(iter(purposes), ""),
                      "subject": getattr(template, "subject", ""),
                      "body": template.body if template else "",
                      "is_default": bool(template and template.is_default)}
        order = [model.is_default.desc(), model.name] if kind == "comment" else \
            [model.purpose, model.is_default.desc(), model.name]
        templates = db.session.scalars(select(model).order_by(*order)).all()
        groups = [(label, [t for t in templates if t.purpose == key])
                  for key, label in purposes.items()] if purposes else [("", templates)]
        companies = db.session.execute(select(Company.id, Company.name).where(
            Company.merged_into_id.is_(None)).order_by(Company.name).limit(PICKER_SIZE)).all()
        # Every group the kind can use; those the chosen purpose cannot are hidden (the page
        # shows and hides them when the purpose changes).
        all_variables = {key: list(groups_for(kind, key)) for key in purposes}
        shown = groups_for(kind, values["purpose"])
        variables = [(group, GROUP_HELP[group], VARIABLES[group], group in shown)
                     for group in VARIABLES
                     if any(group in used for used in all_variables.values()) or group in shown]
        return self.render("admin/templates/index.html", kind=kind, tabs=TABS, current=template,
                           values=values, groups=groups, purposes=purposes,
                           label=KIND_LABELS[kind], companies=companies, variables=variables,
                           variables_by_purpose=all_variables, filter_help=FILTER_HELP,
                           list_view=LIST_VIEWS.get(kind)), status

    def _back(self, kind: str, template=None):
        return redirect(url_for(".index", tab=kind, id=template.id if template else None))

    @expose("/save/", methods=("POST",))
    def save(self):
        kind = _kind(request.form.get("kind"))
        template = _template_or_404(kind, request.form["id"]) if request.form.get("id") else None
        values = {key: request.form.get(key, "") for key in ("name", "purpose", "subject", "body")}
        values["is_default"] = bool(request.form.get("is_default"))
        with unit_of_work() as work:
            saved = save_template(kind, template, values)
        if not work.committed:
            # The page again with what was typed, and the reason (flashed) above it.
            template = _template_or_404(kind, request.form["id"]) if template else None
            return self._page(kind, template, values, status=422)
        flash(_("Saved “%(name)s”.", name=saved.name), "success")
        return self._back(kind, saved)

    @expose("/duplicate/", methods=("POST",))
    def duplicate(self):
        kind = _kind(request.form.get("kind"))
        template = _template_or_404(kind, request.form.get("id"))
        with unit_of_work() as work:
            copy = duplicate_template(kind, template)
        if work.committed:
            flash(_("Duplicated as “%(name)s”.", name=copy.name), "success")
            return self._back(kind, copy)
        return self._back(kind)

    @expose("/rename/", methods=("POST",))
    def rename(self):
        kind = _kind(request.form.get("kind"))
        template = _template_or_404(kind, request.form.get("id"))
        with unit_of_work() as work:
            rename_template(kind, template, request.form.get("name", ""))
        if work.committed:
            flash(_("Renamed “%(name)s”.", name=template.name), "success")
        return self._back(kind, template if work.committed else None)

    @expose("/default/", methods=("POST",))
    def default(self):
        kind = _kind(request.form.get("kind"))
        template = _template_or_404(kind, request.form.get("id"))
        with unit_of_work() as work:
            make_default(kind, template)
        if work.committed:
            flash(_("“%(name)s” is now the default.", name=template.name), "success")
        return self._back(kind, template if work.committed else None)

    @expose("/delete/", methods=("POST",))
    def delete(self):
        kind = _kind(request.form.get("kind"))
        template = _template_or_404(kind, request.form.get("id"))
        name = template.name
        with unit_of_work() as work:
            delete_template(kind, template)
        if work.committed:
            flash(_("Deleted “%(name)s”.", name=name), "success")
        return self._back(kind)

    @expose("/preview/", methods=("POST",))
    def preview(self):
        """The template as typed, rendered on the chosen company and contact, as JSON."""
        kind = _kind(request.form.get("kind"))
        company = db.session.get(Company, parse_id(request.form.get("company_id")) or 0)
        contact = db.session.get(Contact, parse_id(request.form.get("contact_id")) or 0)
        if contact is not None and (company is None or contact.company_id != company.id):
            contact = None
        try:
            parts = preview(kind, request.form.get("purpose"), request.form.get("body", ""),
                            request.form.get("subject", ""), company, contact,
                            current_user._get_current_object())
        except TemplateProblem as problem:
            return jsonify(ok=False, error=str(problem), line=problem.line), 422
        return jsonify(ok=True, **parts)

    @expose("/companies/", methods=("GET",))
    def companies(self):
        """Companies for the preview's picker, by name."""
        query = select(Company.id, Company.name).where(Company.merged_into_id.is_(None))
        words = without_nul(request.args.get("q") or "").strip()[:100]
        if words:
            query = query.where(Company.name.ilike(f"%{_like(words)}%", escape="\\"))
        rows = db.session.execute(query.order_by(Company.name).limit(PICKER_SIZE)).all()
        return jsonify([{"id": row.id, "name": row.name} for row in rows])

    @expose("/contacts/", methods=("GET",))
    def contacts(self):
        """The contacts of one company, for the preview's picker."""
        company_id = parse_id(request.args.get("company_id")) or 0
        rows = db.session.scalars(select(Contact).where(Contact.company_id == company_id)
                                  .order_by(Contact.last_name, Contact.first_name)
                                  .limit(200)).all()
        return jsonify([{"id": c.id, "name": c.full_name} for c in rows])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
