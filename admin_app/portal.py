"""The client portal: a signer opens the link of a signature-request email (the token is the
only key, no login), reads the documents awaiting them, and signs or declines each. The pages
show the organisation's name and these documents, nothing else of the back office."""
import hashlib

from flask import (
    Blueprint, Response, current_app, flash, make_response, redirect, render_template, request,
    url_for,
)
from flask_babel import gettext as _

from .delivery import deliver_after_commit
from .services import ratelimit
from .services.card_edit import discard_file
from .services.portal import PortalGone, awaiting, decline, find_request, one_of, sign
from .services.settings import get_setting
from .storage import send
from .unit_of_work import unit_of_work

bp = Blueprint("portal", __name__, url_prefix="/portal")
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


@bp.before_request
def limit_rate():
    """Per token and per address: a link or a client hammering the portal is slowed down."""
    limit = current_app.config["PORTAL_RATE_LIMIT"]
    window = current_app.config["PORTAL_RATE_WINDOW"]
    token = (request.view_args or {}).get("token") or ""
    limits = [ratelimit.Limit(f"portal:ip:{request.remote_addr}", limit),
              ratelimit.Limit(f"portal:token:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
                              limit)]
    # Past the limit a key is held for the rest of the window: the delay starts at a minute and
    # doubles on further requests, up to the whole window.
    verdict = ratelimit.attempt(limits, window=window, base=min(60, window), most=window)
    if not verdict.allowed:
        response = make_response(*_page(
            "portal/message.html", 429, title=_("Too many requests"),
            text=_("Please wait a few minutes before you try again.")))
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    return None


@bp.after_request
def portal_headers(response: Response) -> Response:
    # The token is in the URL: never send it to another site, never let a search engine keep it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(PortalGone)
def gone(exc: PortalGone):
    if exc.status == 410:
        return _page("portal/message.html", 410, title=_("This link no longer works"),
                     text=_("It has expired, or the document was already signed or declined, "
                            "or a newer link was sent. Ask your contact for a new link."))
    return _page("portal/message.html", 404, title=_("Link not found"),
                 text=_("Check that you opened the whole link from the email."))


def _page(template: str, status: int = 200, **context):
    return render_template(template, organisation=get_setting("company_name"),
                           **context), status


def _open(token: str):
    """The token's request; an expiry found on the way is committed (the card and the lock on
    the document then see it), and a dead link raises PortalGone after that commit."""
    gone = None
    with unit_of_work(flash_errors=False):
        try:
            current = find_request(token)
        except PortalGone as exc:
            gone = exc
    if gone is not None:
        raise gone
    return current


@bp.route("/<token>")
def index(token: str):
    """The documents awaiting this signer, each with a preview, a download, sign and decline."""
    current = _open(token)
    return _page("portal/index.html", token=token, requests=awaiting(current),
                 inline_types=INLINE_TYPES)


@bp.route("/<token>/file/<int:request_id>")
def file(token: str, request_id: int):
    """The original document: inline for a PDF or an image (the preview), else a download."""
    chosen = one_of(_open(token), request_id)
    document = chosen.document
    inline = document.content_type in INLINE_TYPES and not request.args.get("download")
    response = send(document.file, mimetype=document.content_type, as_attachment=not inline,
                    download_name=document.original_name, conditional=False, max_age=0)
    if inline:
        # Only this response may be framed, and only by the portal page of the same origin;
        # it runs nothing (no scripts), and stays out of every other origin's frames.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
            "object-src 'self'; frame-ancestors 'self'")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/<token>/sign/<int:request_id>", methods=("POST",))
def sign_document(token: str, request_id: int):
    current = _open(token)
    chosen = one_of(current, request_id)
    with unit_of_work() as work:
        decision = sign(chosen, request.form.get("signer_name"),
                        bool(request.form.get("consent")), request.remote_addr,
                        request.headers.get("User-Agent"))
        work.on_rollback(discard_file, decision.written)
        work.after_commit(deliver_after_commit, decision.outbox_ids)
    if not work.committed:
        return redirect(url_for(".index", token=token, _anchor=f"doc-{request_id}"))
    return _after_decision(token, current, _("Thank you: “%(title)s” is signed.",
                                             title=str(chosen.document)))


@bp.route("/<token>/decline/<int:request_id>", methods=("POST",))
def decline_document(token: str, request_id: int):
    current = _open(token)
    chosen = one_of(current, request_id)
    with unit_of_work() as work:
        decision = decline(chosen, request.form.get("reason"), request.remote_addr,
                           request.headers.get("User-Agent"))
        work.after_commit(deliver_after_commit, decision.outbox_ids)
    if not work.committed:
        return redirect(url_for(".index", token=token, _anchor=f"doc-{request_id}"))
    return _after_decision(token, current, _("“%(title)s” was declined; we have been told.",
                                             title=str(chosen.document)))


def _after_decision(token: str, current, message: str):
    """Back to the list while it still opens (another document was decided), else the end."""
    if current.status == "pending":
        flash(message, "success")
        return redirect(url_for(".index", token=token))
    return _page("portal/message.html", 200, title=_("Done"), text=message, done=True)


