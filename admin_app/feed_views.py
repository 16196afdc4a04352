"""The private calendar feed, served without a login: the token in the URL is the only key."""
from flask import Blueprint, Response, abort

from .services.calendar_feed import feed_ics, touch, user_for_token
from .unit_of_work import unit_of_work

bp = Blueprint("calendar_feed", __name__)


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    """The .ics of the token's owner, or 404 for a token that is unknown or revoked."""
    user = user_for_token(token)
    if user is None:
        abort(404)
    body = feed_ics(user)
    with unit_of_work(flash_errors=False):
        touch(user)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="calendar.ics"',
        "Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"})
