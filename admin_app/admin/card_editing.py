"""The forms opened from the client card: addresses, contacts, exchanges, documents, comments,
account manager, custom fields, and removing a row after a confirmation page."""
from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from ..ids import parse_id
from ..models import Address, Contact, Document
from ..services.addresses import save_address
from ..services.card import CardError, comment_templates
from ..services.card_edit import (
    discard_file, record_exchange, save_contact, set_account_manager, store_document, store_photo,
    update_comments,
)
from ..services.custom_fields import save_values, values_of
from ..services.html import safe_html
from ..services.removals import describe, remove_card_row, removal_consequences, removal_refusal
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .card_forms import (
    KIND_LABELS, AddressForm, CommentsForm, ContactForm, DocumentForm, ExchangeForm,
)
from .company_pages import card_url, follow_merge_message, live_company_or_redirect, own_row

REMOVABLE = {"address": (Address, "addresses"), "contact": (Contact, "contacts"),
             "document": (Document, "documents")}


def _writable_company():
    """(company, None), or (company, a redirect to the absorbing card) for a merged-away one."""
    return live_company_or_redirect("card.index", follow_merge_message("change"), keep_args=False)


def _remove_url(company, kind: str, row) -> str | None:
    return url_for("card.remove", id=company.id, kind=kind, row=row.id) if row else None


class CardForms(SecureBaseView):
    """The card's form pages, each changing one part of a company and returning to its card;
    `CardView` adds the card itself, so they all live under /admin/company/card/."""

    def _form_page(self, company, form, title, anchor, multipart=False,
                   template="admin/card/form.html", **extra):
        return self.render(template, company=company, form=form, title=title,
                           multipart=multipart, card_url=card_url(company, anchor), **extra)

    @expose("/address/", methods=("GET", "POST"))
    def address(self):
        company, moved = _writable_company()
        if moved:
            return moved
        address = own_row(Address, "address", company)
        form = AddressForm(obj=address)
        if form.validate_on_submit():
            with unit_of_work() as work:
                save_address(company, form.data, address)
            if work.committed:
                flash(_("Address saved.") if address else _("Address added."), "success")
                return redirect(card_url(company, "addresses"))
        title = _("Edit address") if address else _("Add an address")
        return self._form_page(company, form, title, "addresses",
                               remove_url=_remove_url(company, "address", address))

    @expose("/contact/", methods=("GET", "POST"))
    def contact(self):
        company, moved = _writable_company()
        if moved:
            return moved
        contact = own_row(Contact, "contact", company)
        try:
            form = ContactForm(obj=contact)
            valid = form.validate_on_submit()
        except RequestEntityTooLarge:
            flash(_("The upload is too large."), "error")
            return redirect(card_url(company, "contacts"))
        if valid:
            old_photo = contact.photo if contact else None
            with unit_of_work() as work:
                photo = None
                if form.photo.data and getattr(form.photo.data, "filename", ""):
                    photo = store_photo(form.photo.data)
                    work.on_rollback(discard_file, photo)
                save_contact(company, form.data, contact, photo=photo,
                             remove_photo=form.remove_photo.data)
                if old_photo and (photo or form.remove_photo.data):
                    work.after_commit(discard_file, old_photo)
            if work.committed:
                flash(_("Contact saved.") if contact else _("Contact added."), "success")
                return redirect(card_url(company, "contacts"))
        return self._form_page(company, form, _("Edit contact") if contact else _("Add a contact"),
                               "contacts", multipart=True, contact=contact,
                               remove_url=_remove_url(company, "contact", contact))

    @expose("/exchange/", methods=("GET", "POST"))
    def exchange(self):
        company, moved = _writable_company()
        if moved:
            return moved
        form = ExchangeForm()
        form.contact_id.choices = [SelectChoice("", _("— no contact —"))] + [
            SelectChoice(str(c.id), c.full_name + (f" ({c.job_title})" if c.job_title else ""))
            for c in company.contacts]
        if request.method == "GET":
            form.kind.data = request.args.get("kind") if request.args.get("kind") in KIND_LABELS \
                else "call"
            form.occurred_at.data = datetime.now().replace(second=0, microsecond=0)
        if form.validate_on_submit():
            with unit_of_work() as work:
                record_exchange(company, current_user, form.data)
            if work.committed:
                kind = form.kind.data
                flash(_("Email recorded in the history; it was not sent (sending emails from "
                        "the card comes later).") if kind == "email"
                      else _("%(kind)s recorded.", kind=KIND_LABELS[kind]), "success")
                return redirect(card_url(company, "exchanges"))
        return self._form_page(company, form, _("Record an exchange"), "exchanges",
                               template="admin/card/exchange_form.html")

    @expose("/document/", methods=("GET", "POST"))
    def document(self):
        company, moved = _writable_company()
        if moved:
            return moved
        # A body above MAX_CONTENT_LENGTH raises RequestEntityTooLarge here: the 413 page of
        # error_pages answers, with a link back to this card.
        form = DocumentForm()
        if form.validate_on_submit():
            with unit_of_work() as work:
                if not form.file.data or not getattr(form.file.data, "filename", ""):
                    raise CardError(_("Choose a file to upload."))
                document = store_document(company, current_user, form.file.data, form.title.data)
                work.on_rollback(discard_file, document.file)
            if work.committed:
                flash(_("Document “%(name)s” uploaded.", name=document.original_name), "success")
                return redirect(card_url(company, "documents"))
        return self._form_page(company, form, _("Upload a document"), "documents",
                               multipart=True)

    @expose("/comments/", methods=("GET", "POST"))
    def comments(self):
        company, moved = _writable_company()
        if moved:
            return moved
        form = CommentsForm(comments=company.comments)
        if form.validate_on_submit():
            with unit_of_work() as work:
                update_comments(company, form.comments.data)
            if work.committed:
                flash(_("Comments saved."), "success")
                return redirect(card_url(company, "comments"))
        return self.render("admin/card/comments_form.html", company=company, form=form,
                           templates=comment_templates(), safe_html=safe_html,
                           card_url=card_url(company, "comments"))

    @expose("/account-manager/", methods=("POST",))
    def account_manager(self):
        company, moved = _writable_company()
        if moved:
            return moved
        raw = request.form.get("account_manager_id", "")
        with unit_of_work() as work:
            set_account_manager(company, parse_id(raw) if raw else None)
        if work.committed:
            manager = company.account_manager
            flash(_("Account manager: %(name)s.", name=manager) if manager
                  else _("No account manager."), "success")
        return redirect(card_url(company, "general"))

    @expose("/custom-fields/", methods=("GET", "POST"))
    def custom_fields(self):
        company, moved = _writable_company()
        if moved:
            return moved
        fields = values_of(company.id)
        submitted = {}
        if request.method == "POST":
            submitted = {d.id: request.form.get(f"field-{d.id}") for d, _v in fields}
            with unit_of_work() as work:
                save_values(company, submitted)
            if work.committed:
                flash(_("Custom fields saved."), "success")
                return redirect(card_url(company, "custom-fields"))
        return self.render("admin/card/custom_fields_form.html", company=company, fields=fields,
                           submitted=submitted, card_url=card_url(company, "custom-fields"))

    @expose("/remove/", methods=("GET", "POST"))
    def remove(self):
        """`?id=COMPANY&kind=address|contact|document&row=ID`: GET asks, POST removes."""
        company, moved = _writable_company()
        if moved:
            return moved
        kind = request.values.get("kind")
        if kind not in REMOVABLE:
            abort(404)
        model, anchor = REMOVABLE[kind]
        row = own_row(model, "row", company)
        if row is None:
            abort(404)
        back = card_url(company, anchor)
        if request.method == "POST":
            what = describe(row)
            with unit_of_work() as work:
                work.after_commit(discard_file, remove_card_row(row))
            if work.committed:
                flash(_("Removed %(what)s.", what=what), "success")
            return redirect(back)
        return self.render("admin/card/remove.html", company=company, row=row, kind=kind,
                           what=describe(row), refusal=removal_refusal(row),
                           consequences=removal_consequences(row), card_url=back)
