"""The Outbox page (admins): every outgoing message, its status and the server's answer; open
the exact message, retry one that failed."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..delivery import deliver
from ..extensions import db
from ..ids import parse_id
from ..models import OutboxMessage
from ..models.outbox import OUTBOX_STATUSES
from ..services.outbox import retryable
from ..unit_of_work import unit_of_work
from .base import SecureBaseView

PAGE_SIZE = 50


class OutboxView(SecureBaseView):
    admin_only = True

    @expose("/")
    def index(self):
        status = request.args.get("status")
        status = status if status in OUTBOX_STATUSES else None
        page = parse_id(request.args.get("page"), maximum=10**6) or 1
        query = select(OutboxMessage)
        if status:
            query = query.where(OutboxMessage.status == status)
        rows = db.session.scalars(query.order_by(OutboxMessage.id.desc())
                                  .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
        counts = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                         .group_by(OutboxMessage.status)).all())
        return self.render("admin/outbox.html", rows=rows[:PAGE_SIZE], status=status, page=page,
                           has_next=len(rows) > PAGE_SIZE, counts=counts,
                           statuses=OUTBOX_STATUSES)

    @expose("/message/")
    def message(self):
        """The message exactly as it was (or will be) sent, to open in a mail program."""
        row = db.session.get(OutboxMessage, parse_id(request.args.get("id")) or 0)
        if row is None:
            abort(404)
        return Response(row.raw, mimetype="message/rfc822", headers={
            "Content-Disposition": f'attachment; filename="message-{row.id}.eml"'})

    @expose("/retry/", methods=("POST",))
    def retry(self):
        row = db.session.get(OutboxMessage, parse_id(request.form.get("id")) or 0)
        if row is None:
            abort(404)
        with unit_of_work() as work:
            retryable(row)
        if work.committed:
            status = deliver(row.id, manual=True)
            if status == "sent":
                flash(_("Message #%(id)s sent.", id=row.id), "success")
            else:
                flash(_("Message #%(id)s failed again: %(error)s", id=row.id,
                        error=row.last_error or status), "error")
        return redirect(url_for(".index", status=request.args.get("status")))
