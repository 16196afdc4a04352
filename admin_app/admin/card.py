"""The client card at /admin/company/card/?id=N and the forms it opens (a mixin of CompanyView)."""
from datetime import date, datetime

from flask import abort, flash, redirect, request, send_from_directory, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from ..errors import Refusal
from ..extensions import db
from ..models import Address, Contact, Document
from ..services.card import (
    CardError, comment_templates, load_card, timeline,
)
from ..services.addresses import save_address
from ..services.card_edit import (
    discard_file, record_exchange, save_contact, set_account_manager, store_document, store_photo,
    update_comments, upload_root,
)
from ..services.custom_fields import CustomFieldError, display_value, save_values, values_of
from ..services.companies import live_company
from ..services.html import sanitize_html
from .args import int_arg, page_arg, parse_int
from .card_forms import (
    KIND_LABELS, AccountManagerForm, AddressForm, CommentsForm, ContactForm, DocumentForm,
    ExchangeForm,
)
from .sales_format import money_formatter

# Pages that, for a merged-away company, show the same page of the company that absorbed it.
FOLLOW_MERGES = {"card_view": "here is its card", "edit_view": "edit it here",
                 "details_view": "here are its details", "merge_view": "merge into it instead"}


def safe_html(html: str | None) -> Markup:
    """User HTML, sanitised again at display: rows written before sanitising (or in bulk) too."""
    return Markup(sanitize_html(html))


class CardViewMixin:
    """Client card views; mixed into CompanyView so the endpoints are `company.card_*`."""

    def _handle_view(self, name, **kwargs):
        """Old links to a merged-away company lead to the company that absorbed it."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None or name not in FOLLOW_MERGES:
            return refused
        company, absorber = live_company(int_arg("id", default=0))
        if absorber is None:
            return None
        flash(f"“{company.name}” was merged into “{absorber.name}”: {FOLLOW_MERGES[name]}.",
              "info")
        return redirect(self.get_url(f".{name}", **{**request.args.to_dict(), "id": absorber.id}))

    # --- reading --------------------------------------------------------------------------

    @expose("/card/")
    def card_view(self):
        company, _absorber = self._company()
        card = load_card(company, kind=request.args.get("kind"), cursor=request.args.get("before"))
        manager_form = AccountManagerForm(account_manager_id=str(company.account_manager_id or ""))
        manager_form.account_manager_id.choices = [SelectChoice("", "— nobody —")] + [
            SelectChoice(str(u.id), str(u) + ("" if u.is_active else " (inactive)"))
            for u in card.users]
        return self.render("admin/card/card.html", card=card, company=company,
                           manager_form=manager_form, comments_form=CommentsForm(),
                           comments_html=safe_html(company.comments),
                           kind_labels=KIND_LABELS, money=money_formatter(),
                           display_value=display_value, safe_html=safe_html, today=date.today(),
                           card_url=self._card_url(company))

    @expose("/card/exchanges/")
    def card_exchanges_view(self):
        """The next page of the timeline, as an HTML fragment for "load more"."""
        company, absorber = self._company()
        page = timeline((absorber or company).id, request.args.get("kind"),
                        request.args.get("before"))
        return self.render("admin/card/_timeline_items.html", company=absorber or company,
                           timeline=page, kind_labels=KIND_LABELS)

    @expose("/card/history/")
    def card_history_view(self):
        """Moved to the sales history page; old links and bookmarks land there."""
        kind = {"quotes": "quote", "orders": "order", "invoices": "invoice"}.get(
            request.args.get("kind", ""))
        args = {"company_id": int_arg("id")}
        if kind:
            args.update(kind=kind, **{f"{kind}_page": page_arg("page") or None})
        return redirect(url_for("sales_history.index", **args), code=301)

    @expose("/card/photo/")
    def card_photo_view(self):
        contact = db.session.get(Contact, int_arg("contact", default=0))
        if contact is None or not contact.photo:
            abort(404)
        return send_from_directory(upload_root(), contact.photo, mimetype="image/jpeg",
                                   max_age=300)

    @expose("/card/document/download/")
    def card_document_download_view(self):
        document = db.session.get(Document, int_arg("doc", default=0))
        if document is None:
            abort(404)
        return send_from_directory(upload_root(), document.file, as_attachment=True,
                                   download_name=document.original_name,
                                   mimetype=document.content_type)

    # --- forms ------------------------------------------------------------------------------

    @expose("/card/address/", methods=("GET", "POST"))
    def card_address_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        address = self._own_row(Address, "address", company)
        form = AddressForm(obj=address)
        if form.validate_on_submit():
            try:
                save_address(company, form.data, address)
            except (Refusal, SQLAlchemyError) as exc:
                self._fail(exc)
            else:
                if self._commit():
                    flash("Address saved." if address else "Address added.", "success")
                    return redirect(self._card_url(company, "addresses"))
        title = "Edit address" if address else "Add an address"
        return self._form_page(company, form, title, "addresses",
                               remove_url=self._remove_url(company, "address", address))

    @expose("/card/contact/", methods=("GET", "POST"))
    def card_contact_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        contact = self._own_row(Contact, "contact", company)
        try:
            form = ContactForm(obj=contact)
            valid = form.validate_on_submit()
        except RequestEntityTooLarge:
            flash("The upload is too large.", "error")
            return redirect(self._card_url(company, "contacts"))
        if valid:
            old_photo, photo = contact.photo if contact else None, None
            try:
                if form.photo.data and getattr(form.photo.data, "filename", ""):
                    photo = store_photo(form.photo.data)
                save_contact(company, form.data, contact, photo=photo,
                             remove_photo=form.remove_photo.data)
            except (Refusal, SQLAlchemyError) as exc:
                discard_file(photo)
                self._fail(exc)
            else:
                if self._commit(photo):
                    if old_photo and (photo or form.remove_photo.data):
                        discard_file(old_photo)
                    flash("Contact saved." if contact else "Contact added.", "success")
                    return redirect(self._card_url(company, "contacts"))
        return self._form_page(company, form, "Edit contact" if contact else "Add a contact",
                               "contacts", multipart=True, contact=contact,
                               remove_url=self._remove_url(company, "contact", contact))

    @expose("/card/exchange/", methods=("GET", "POST"))
    def card_exchange_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        form = ExchangeForm()
        form.contact_id.choices = [SelectChoice("", "— no contact —")] + [
            SelectChoice(str(c.id), c.full_name + (f" ({c.job_title})" if c.job_title else ""))
            for c in company.contacts]
        if request.method == "GET":
            form.kind.data = request.args.get("kind") if request.args.get("kind") in KIND_LABELS \
                else "call"
            form.occurred_at.data = datetime.now().replace(second=0, microsecond=0)
        if form.validate_on_submit():
            try:
                record_exchange(company, current_user, form.data)
            except (Refusal, SQLAlchemyError) as exc:
                self._fail(exc)
            else:
                if self._commit():
                    kind = form.kind.data
                    flash("Email recorded in the history; it was not sent (sending emails from "
                          "the card comes later)." if kind == "email"
                          else f"{KIND_LABELS[kind]} recorded.", "success")
                    return redirect(self._card_url(company, "exchanges"))
        return self._form_page(company, form, "Record an exchange", "exchanges",
                               template="admin/card/exchange_form.html")

    @expose("/card/document/", methods=("GET", "POST"))
    def card_document_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        try:
            form = DocumentForm()
            valid = form.validate_on_submit()
        except RequestEntityTooLarge:
            flash("The file is too large.", "error")
            return redirect(self._card_url(company, "documents"))
        if valid:
            stored = None
            try:
                if not form.file.data or not getattr(form.file.data, "filename", ""):
                    raise CardError("Choose a file to upload.")
                document = store_document(company, current_user, form.file.data, form.title.data)
                stored = document.file
            except (Refusal, SQLAlchemyError) as exc:
                self._fail(exc)
            else:
                if self._commit(stored):
                    flash(f"Document “{document.original_name}” uploaded.", "success")
                    return redirect(self._card_url(company, "documents"))
        return self._form_page(company, form, "Upload a document", "documents", multipart=True)

    @expose("/card/comments/", methods=("GET", "POST"))
    def card_comments_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        form = CommentsForm(comments=company.comments)
        if form.validate_on_submit():
            update_comments(company, form.comments.data)
            if self._commit():
                flash("Comments saved.", "success")
                return redirect(self._card_url(company, "comments"))
        return self.render("admin/card/comments_form.html", company=company, form=form,
                           templates=comment_templates(), safe_html=safe_html,
                           card_url=self._card_url(company, "comments"))

    @expose("/card/account-manager/", methods=("POST",))
    def card_account_manager_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        raw = request.form.get("account_manager_id", "")
        try:
            set_account_manager(company, (parse_int(raw) or 0) if raw else None)
        except Refusal as exc:
            self._fail(exc)
        else:
            if self._commit():
                manager = company.account_manager
                flash(f"Account manager: {manager}." if manager else "No account manager.",
                      "success")
        return redirect(self._card_url(company, "general"))

    @expose("/card/custom-fields/", methods=("GET", "POST"))
    def card_custom_fields_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        fields = values_of(company.id)
        submitted = {}
        if request.method == "POST":
            submitted = {d.id: request.form.get(f"field-{d.id}") for d, _ in fields}
            try:
                save_values(company, submitted)
            except CustomFieldError as exc:
                db.session.rollback()
                for message in exc.messages:
                    flash(message, "error")
            else:
                if self._commit():
                    flash("Custom fields saved.", "success")
                    return redirect(self._card_url(company, "custom-fields"))
        return self.render("admin/card/custom_fields_form.html", company=company, fields=fields,
                           submitted=submitted, card_url=self._card_url(company, "custom-fields"))

    # --- helpers ----------------------------------------------------------------------------

    def _company(self):
        company_id = int_arg("id")
        company, absorber = live_company(company_id) if company_id else (None, None)
        if company is None:
            abort(404)
        return company, absorber

    def _writable_company(self):
        """(company, None), or (company, a redirect) when the company was merged away."""
        company, absorber = self._company()
        if absorber is not None:
            flash(f"“{company.name}” was merged into “{absorber.name}”: make changes here.",
                  "warning")
            return company, redirect(self.get_url(".card_view", id=absorber.id))
        return company, None

    @staticmethod
    def _own_row(model, arg: str, company):
        """The row named by `?<arg>=ID` when it belongs to the company (404 otherwise); None
        when the argument is absent, for a new row."""
        if not request.args.get(arg):
            return None
        row = db.session.get(model, int_arg(arg, default=0))
        if row is None or row.company_id != company.id:
            abort(404)
        return row

    def _remove_url(self, company, kind: str, row) -> str | None:
        return self.get_url(".card_remove_view", id=company.id, kind=kind, row=row.id) if row else None

    def _card_url(self, company, anchor: str | None = None) -> str:
        url = self.get_url(".card_view", id=company.id)
        return f"{url}#{anchor}" if anchor else url

    def _form_page(self, company, form, title, anchor, multipart=False,
                   template="admin/card/form.html", **extra):
        return self.render(template, company=company, form=form, title=title,
                           multipart=multipart, card_url=self._card_url(company, anchor), **extra)

    @staticmethod
    def _fail(exc: Exception) -> None:
        db.session.rollback()
        if isinstance(exc, Refusal):
            flash(str(exc), "error")
        else:
            flash("Nothing was saved: the database refused the change. Please try again.", "error")

    @staticmethod
    def _commit(*files) -> bool:
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            for relative in files:
                discard_file(relative)
            flash("Nothing was saved: the database refused the change. Please try again.",
                  "error")
            return False
        return True
