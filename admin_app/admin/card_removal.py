"""Removing an address, a contact or a document from the card, after a confirmation page."""
from flask import abort, flash, redirect, request
from flask_admin import expose

from ..errors import Refusal
from ..models import Address, Contact, Document
from ..services.card_edit import discard_file
from ..services.removals import describe, remove_card_row, removal_consequences, removal_refusal

KINDS = {"address": (Address, "addresses"), "contact": (Contact, "contacts"),
         "document": (Document, "documents")}


class CardRemovalMixin:
    """`/card/remove/?id=COMPANY&kind=address|contact|document&row=ID`: GET asks, POST removes."""

    @expose("/card/remove/", methods=("GET", "POST"))
    def card_remove_view(self):
        company, refused = self._writable_company()
        if refused:
            return refused
        if request.values.get("kind") not in KINDS:
            abort(404)
        model, anchor = KINDS[request.values["kind"]]
        row = self._own_row(model, "row", company)
        if row is None:
            abort(404)
        back = self._card_url(company, anchor)
        if request.method == "POST":
            try:
                stored = remove_card_row(row)
            except Refusal as exc:
                self._fail(exc)
                return redirect(back)
            if self._commit():
                discard_file(stored)
                flash(f"Removed {describe(row)}.", "success")
            return redirect(back)
        return self.render("admin/card/remove.html", company=company, row=row,
                           kind=request.values["kind"], what=describe(row),
                           refusal=removal_refusal(row), consequences=removal_consequences(row),
                           card_url=back)
