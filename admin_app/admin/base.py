"""The base views every admin page inherits: login and roles on the server, an audit entry for every
create, update and delete, user HTML sanitised on save, spreadsheet-safe CSV export, company links,
and list counts that stop at a cap instead of counting 100,000 rows per keystroke."""
from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext, ngettext
from flask_babel import gettext as _
from flask_admin.contrib.sqla import ModelView, tools
from flask_admin.model import typefmt
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from wtforms.validators import ValidationError

from ..errors import Refusal
from ..extensions import db
from ..ids import parse_id
from ..services import audit
from ..unit_of_work import UnitOfWork, unit_of_work, user_message
from ..services.html import sanitize_html
from .args import CheckedArgsMixin, int_arg
from .counting import CappedCount, DeferredCount, capped_count_query, counting_after_page
from .export import SafeExportMixin
from .form_limits import LengthConverter
from .labels import labels_for
from .formatting import (
    company_link_formatter, company_plain_formatter, html_detail_formatter,
    html_export_formatter, html_list_formatter,
)
from .pickers import picker_loader

class SecureMixin:
    """Login on every page; `admin_only` views refuse non-admins with 403 (not just a hidden menu)."""

    admin_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return current_user.is_admin or not self.admin_only

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureBaseView(SecureMixin, BaseView):
    pass


class SecureIndexView(SecureMixin, AdminIndexView):
    pass


def company_from_args():
    """The live company named by ?company_id= (links from a card pass it), else None."""
    from ..models import Company
    company = db.session.get(Company, int_arg("company_id", default=0))
    return company if company is not None and not company.is_tombstone else None


def _datetime_text(_view, value: datetime, _name: str = "") -> str:
    """Minutes are enough in a list; seconds and microseconds are noise to a reader."""
    return value.strftime("%Y-%m-%d %H:%M")


class SecureModelView(SecureMixin, CheckedArgsMixin, SafeExportMixin, ModelView):
    """A ModelView with sane defaults for a back office; every model view inherits it."""

    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: _datetime_text}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: _datetime_text}

    page_size = 25
    page_size_options = (25, 50, 100)
    can_set_page_size = True
    can_view_details = True
    details_modal = False
    create_modal = False
    edit_modal = False
    can_export = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 0
    named_filter_urls = True
    list_template = "admin/model/fast_list.html"
    # Every String(n) input says its maximum and refuses more with a message.
    model_form_converter = LengthConverter
    # Text columns holding user HTML: sanitised with nh3 on save and again on display.
    html_fields: tuple[str, ...] = ()
    # Counting stops after this many rows (None counts exactly); the pager then shows "10,000+".
    count_cap: int | None = 10_000
    audited = True

    def __init__(self, model, session, *args, **kwargs):
        self._install_formatters(model)
        # Every column, filter and form label in the reader's language (see labels.py).
        self.column_labels = labels_for(self.column_labels)
        super().__init__(model, session, *args, **kwargs)

    def _install_formatters(self, model) -> None:
        """Company relations link to the client card; HTML fields render sanitised."""
        from ..models import Company
        listing, detail, export = {}, {}, {}
        for rel in sa_inspect(model).relationships:
            if rel.mapper.class_ is Company and not rel.uselist:
                listing[rel.key] = detail[rel.key] = company_link_formatter
                export[rel.key] = company_plain_formatter
        for name in self.html_fields:
            listing[name], detail[name] = html_list_formatter, html_detail_formatter
            export[name] = html_export_formatter
        own = dict(self.column_formatters or {})
        self.column_formatters = {**listing, **own}
        self.column_formatters_detail = {**detail, **own, **(self.column_formatters_detail or {})}
        self.column_formatters_export = {**own, **export, **(self.column_formatters_export or {})}

    # --- ajax pickers ------------------------------------------------------------------------
    def _create_ajax_loader(self, name, options):
        return picker_loader(self.model, self.session, name, options)

    # --- lists -------------------------------------------------------------------------------
    def search_placeholder(self):
        """Readable names of the searched columns ("Number, Company"), not attribute paths."""
        labels = self.column_labels or {}
        names = []
        for column in self.column_searchable_list or ():
            key = column if isinstance(column, str) else column.key
            name = labels.get(key) or key.removesuffix(".name").replace(".", " ").replace("_", " ")
            names.append(str(name).capitalize())
        return ", ".join(names)

    def get_filter_arg(self, index, flt):
        """Filter URLs keep the English name (`flt0_status_equals`) in every language."""
        english = getattr(flt.name, "_args", None)
        if not english:
            return super().get_filter_arg(index, flt)
        shown, flt.name = flt.name, english[0]
        try:
            return super().get_filter_arg(index, flt)
        finally:
            flt.name = shown

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The page first, then the count only if the page cannot tell it: a search with no or
        few matches, or a short list, costs one statement. Without `execute` (exports, bulk
        actions) nobody reads the count, so none is run."""
        with counting_after_page():
            count, rows = super().get_list(page, sort_column, sort_desc, search, filters,
                                           execute=execute, page_size=page_size)
        if isinstance(count, DeferredCount):
            size = self.page_size if page_size is None else page_size
            count = count.total(rows, page, size) if execute else None
        return count, rows

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """A sort the user picked ends with the primary key: rows that tie on the column (the
        same status, the same account manager) otherwise come in any order the database likes,
        which may differ from one page's statement to the next, so that a row shows on two pages
        and another on none."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        if sort_column is not None:
            keys = sa_inspect(self.model).primary_key
            query = query.order_by(*(key.desc() if sort_desc else key for key in keys))
        return query, joins

    def get_count_query(self):
        if not self.count_cap:
            return super().get_count_query()
        return capped_count_query(db.session, self.model, self.count_cap)

    def render(self, template, **kwargs):
        count = kwargs.get("count")
        if isinstance(count, CappedCount):
            kwargs["count"] = f"{count.cap:,}+"
            kwargs["count_capped"] = True
        return super().render(template, **kwargs)

    # --- saving --------------------------------------------------------------------------------
    def _on_model_change(self, form, model, is_created):
        for name in self.html_fields:
            if getattr(model, name, None):
                setattr(model, name, sanitize_html(getattr(model, name)))
        super()._on_model_change(form, model, is_created)

    def create_model(self, form):
        model = self.build_new_instance()
        return model if self._save(form, model, created=True) else False

    def update_model(self, form, model):
        return self._save(form, model, created=False)

    def _save(self, form, model, created: bool) -> bool:
        """Copy the form in, let the view's service apply its rules, audit and commit: one
        transaction, or nothing and the reason on screen."""
        before = None if created else audit.snapshot(model)
        with unit_of_work() as work:
            # No autoflush while the form is copied in and the rules run: a half-built row must
            # not reach the database, and the changes stay visible to the audit after.
            with db.session.no_autoflush:
                form.populate_obj(model)
            if created:
                db.session.add(model)
            pending = self._pending_children(model)
            with db.session.no_autoflush:
                self._on_model_change(form, model, created)
            db.session.flush()
            self._audit_saved(model, before, pending)
        if not work.committed:
            return False
        self.after_model_change(form, model, created)
        return True

    # --- deleting ------------------------------------------------------------------------------
    def delete_model(self, model):
        return self.delete_models([model])

    @action("delete", lazy_gettext("Delete"),
            lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        models = self.models_for_ids(ids)
        if self.delete_models(models):
            flash(ngettext("Record was successfully deleted.",
                           "%(count)s records were successfully deleted.", len(models),
                           count=len(models)), "success")

    def models_for_ids(self, ids) -> list:
        """The rows of checked ids. Ids arrive as strings: PostgreSQL refuses to compare them
        with an integer key, so they are parsed, and anything that is not an id is dropped."""
        wanted = {number for number in (parse_id(i) for i in ids) if number is not None}
        if not wanted:
            return []
        return tools.get_query_for_ids(self.get_query(), self.model, sorted(wanted)).all()

    def remove_model(self, model, work: UnitOfWork) -> None:
        """Delete one row through the rules of its kind; views override this with a service
        call that raises a `Refusal` when the row must stay (`work` takes what must happen
        after the commit, such as removing a file)."""
        db.session.delete(model)

    def delete_models(self, models: list) -> bool:
        """Delete in one transaction: if any record may not go, none goes and the user reads
        every reason."""
        with unit_of_work() as work:
            refusals = []
            for model in models:
                try:
                    self.on_model_delete(model)
                    self._audit_deleted(model)
                    self.remove_model(model, work)
                except (Refusal, ValidationError) as exc:
                    refusals.append(user_message(exc))
            if len(refusals) == 1 and len(models) == 1:
                raise Refusal(refusals[0])
            if refusals:
                items = Markup("").join(Markup("<li>{}</li>").format(r) for r in refusals)
                raise Refusal(Markup("{}<ul class='mb-0'>{}</ul>").format(
                    _("Nothing was deleted."), items))
            db.session.flush()
        if not work.committed:
            return False
        for model in models:
            self.after_model_delete(model)
        return True

    # --- errors --------------------------------------------------------------------------------
    def handle_view_exception(self, exc):
        if isinstance(exc, (Refusal, IntegrityError)):
            flash(user_message(exc), "error")
            return True
        return super().handle_view_exception(exc)

    # --- audit ---------------------------------------------------------------------------------
    def _pending_children(self, model) -> dict:
        """Other rows the form touched (inline addresses, lines…), captured before the flush."""
        session = db.session
        dirty = []
        for obj in session.dirty:
            if obj is not model and session.is_modified(obj):
                before = audit.snapshot(obj)
                before.update({k: old for k, (old, _new) in audit.column_changes(obj).items()})
                dirty.append((obj, before))
        deleted = [(type(o).__name__, o.id, str(o), audit.snapshot(o)) for o in session.deleted]
        return {"new": [o for o in session.new if o is not model], "dirty": dirty,
                "deleted": deleted}

    def _audit_saved(self, model, before: dict | None, pending: dict) -> None:
        if not self.audited:
            return
        label = f"{type(model).__name__} {model}"
        # Values kept outside the row (custom fields…) that a mixin recorded on the instance.
        extra = model.__dict__.pop("_audit_extra", {})
        if before is None:
            audit.record("create", model, summary=f"Created {label}",
                         changes={**audit.snapshot(model), **extra})
        else:
            changes = {**_diff(before, audit.snapshot(model)), **extra}
            if changes:
                audit.record("update", model, changes=changes,
                             summary=f"Updated {label}: {', '.join(changes)}")
        for obj in pending["new"]:
            if sa_inspect(obj).persistent:
                audit.record("create", obj, changes=audit.snapshot(obj),
                             summary=f"Created {type(obj).__name__} {obj} ({label})")
        for obj, old in pending["dirty"]:
            changes = _diff(old, audit.snapshot(obj))
            if changes:
                audit.record("update", obj, changes=changes,
                             summary=f"Updated {type(obj).__name__} {obj}: {', '.join(changes)}")
        for entity_type, entity_id, text, snap in pending["deleted"]:
            audit.record("delete", entity_type=entity_type, entity_id=entity_id, changes=snap,
                         summary=f"Deleted {entity_type} {text} ({label})")

    def _audit_deleted(self, model) -> None:
        if self.audited:
            audit.record("delete", model, changes=audit.snapshot(model),
                         summary=f"Deleted {type(model).__name__} {model}")


def _diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


class AdminOnlyModelView(SecureModelView):
    admin_only = True


class ReadOnlyModelView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False
