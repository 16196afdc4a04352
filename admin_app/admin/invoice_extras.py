"""What the Invoices pages add to a sales document view: payment reminders (one from the invoice
page or the card, many from the list) and the register's verification."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..delivery import deliver_after_commit
from ..extensions import db
from ..models import Invoice
from ..services import register
from ..services.payment_reminders import send_payment_reminder, send_payment_reminders
from ..unit_of_work import unit_of_work
from .args import int_arg
from .links import company_url


class InvoiceMailAndRegisterMixin:
    """Routes of the invoice view; independent of its other mixins."""

    @expose("/remind/", methods=("POST",))
    def remind_view(self):
        """Email the payment reminder of one overdue invoice."""
        invoice = db.session.get(Invoice, int_arg("id", request.form, default=0))
        if invoice is None:
            flash(_("That invoice does not exist any more."), "error")
            return redirect(self.get_url(".index_view"))
        with unit_of_work() as work:
            exchange, outbox_id = send_payment_reminder(invoice, current_user)
            work.after_commit(deliver_after_commit, [outbox_id])
        if work.committed:
            flash(_("Payment reminder of invoice %(number)s sent to %(email)s.",
                    number=invoice.number, email=exchange.email_to), "success")
        if request.form.get("back") == "card":
            return redirect(company_url(invoice.company_id))
        return redirect(self.get_url(".details_view", id=invoice.id))

    @action("remind", _l("Send payment reminder"),
            _l("Email a payment reminder for each selected overdue invoice?"))
    def action_remind(self, ids):
        invoice_ids = [i for i in (int_arg("id", {"id": raw}) for raw in ids) if i]
        with unit_of_work() as work:
            sent = send_payment_reminders(invoice_ids, current_user)
            work.after_commit(deliver_after_commit, sent.outbox_ids)
        if work.committed:
            if sent.exchanges:
                flash(_("%(count)s payment reminder(s) sent.", count=len(sent.exchanges)),
                      "success")
            for invoice, reason in sent.skipped:
                flash(_("Not sent for %(invoice)s: %(reason)s", invoice=str(invoice),
                        reason=reason), "warning")
        return redirect(self.get_url(".index_view"))

    @expose("/verify-register/", methods=("POST",))
    def verify_register_view(self):
        """Recompute the register's chain now (admins); the badge shows the verdict."""
        if not current_user.is_admin:
            abort(403)
        with unit_of_work() as work:
            verdict = register.verify()
        if work.committed:
            if verdict.intact:
                flash(_("Register intact: %(count)s records verified.", count=verdict.records),
                      "success")
            else:
                flash(_("Register broken at record %(id)s (%(number)s): %(problem)s.",
                        id=verdict.broken.id, number=verdict.broken.number,
                        problem=verdict.problem), "error")
        return redirect(url_for(".index_view"))
