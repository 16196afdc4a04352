"""Every GET page of the app, requested as an admin with hostile query values, answers without a
server error: a 404, a redirect with a message, or the page with the value ignored."""
import traceback

from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select

from admin_app.extensions import db
from hostile_support import get_as_a_server_would, seed_every_kind

HOSTILE_VALUES = {"letters": "abc", "negative": "-1", "huge": "99999999999999999999",
                  "nul": "\x00", "long": "x" * 5000}
# Every query parameter the app reads (its own views and Flask-Admin's), plus common guesses.
PARAMETERS = ("id", "company_id", "search", "q", "page", "page_size", "sort", "desc", "kind",
              "before", "doc", "contact", "address", "row", "absorb", "min_score", "next",
              "lang", "name", "query", "offset", "limit", "url", "owner_id", "pending",
              "quote_page", "order_page", "invoice_page", "merge_id", "flt0_0")
CONVERTER_VALUES = {"export_type": "csv", "filename": "missing.css"}


def _where(outcome) -> str:
    """The app's frame nearest to the error, to tell which code failed."""
    if not isinstance(outcome, Exception):
        return str(getattr(outcome, "status_code", outcome))
    frames = [f for f in traceback.extract_tb(outcome.__traceback__)
              if "admin_app" in f.filename or "flask_admin" in f.filename]
    at = f" at {frames[-1].filename.split('site-packages/')[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(outcome).__name__}{at}: {str(outcome)[:160]}"


def _views(app) -> dict:
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views}


def _filter_parameters(rule, view) -> list[str]:
    """The list's filter arguments as Flask-Admin names them (flt<i>_<name>), on the pages that
    read them (the list and its export)."""
    if not rule.endpoint.endswith((".index_view", ".export")):
        return []
    return [f"flt{i}_{key}" for i, key in enumerate(getattr(view, "_filter_args", None) or {})]


def _first_id(model) -> int | None:
    return db.session.scalar(select(func.min(model.id)))


def _valid_sets(rule, view, ids) -> list[dict]:
    """Valid values held while every other parameter is hostile, so a page goes past its first
    check (an unknown id) and reads the rest."""
    endpoint, page = rule.endpoint.split(".")[0], rule.endpoint.split(".")[-1]
    base = {"company_id": ids["company"]}
    if isinstance(view, ModelView):
        base["id"] = ids["company"] if endpoint == "company" else _first_id(view.model)
    elif endpoint in ("card", "company_merge"):
        base["id"] = ids["company"]
    extras = {
        "card.index": {"kind": "call"}, "card.exchanges": {"kind": "call"},
        "card.exchange": {"kind": "call"}, "card.history": {"kind": "quotes"},
        "card.contact": {"contact": ids["contact"]},
        "card.photo": {"contact": ids["contact"]},
        "card.address": {"address": ids["address"]},
        "card.document_download": {"doc": ids["document"]},
        "card.remove": {"kind": "contact", "row": ids["contact"]},
        "company_merge.index": {"absorb": ids["other"]},
        "company_merge.ajax_lookup": {"name": "absorb", "query": "Ot"},
    }
    sets = [{}, base]
    if rule.endpoint in extras:
        sets.append({**base, **extras[rule.endpoint]})
    if endpoint in ("card", "company_merge"):
        sets.append({**base, "id": ids["tombstone"]})
    if endpoint == "sales_history":
        sets.append({**base, "kind": "invoice"})
    if endpoint == "company" and page != "index_view":
        sets.append({**base, "id": ids["tombstone"]})
    if page == "ajax_lookup":
        sets += [{**base, "name": name} for name in getattr(view, "_form_ajax_refs", None) or {}]
    return sets


def _crawl(app, client, ids) -> list[str]:
    views = _views(app)
    rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods),
                   key=lambda r: (r.endpoint == "auth.logout", r.rule))  # log out last
    failures = []
    for rule in rules:
        view = views.get(rule.endpoint.split(".")[0])
        path = rule.build({name: CONVERTER_VALUES.get(name, "1") for name in rule.arguments})[1]
        names = [*PARAMETERS, *_filter_parameters(rule, view)]
        for held in _valid_sets(rule, view, ids):
            for label, value in HOSTILE_VALUES.items():
                if not held and label == "long":
                    continue  # "letters" already shows a non-number id; a long one costs time
                query = {**{name: value for name in names}, **held}
                outcome = get_as_a_server_would(client, path, query_string=query)
                status = getattr(outcome, "status_code", None)
                if status is None or status >= 500:
                    failures.append(f"{rule.endpoint} {label} held={sorted(held)}: "
                                    f"{_where(outcome)}")
    return failures


def test_no_page_answers_a_server_error_to_hostile_query_values(app, admin_client, admin_user):
    ids = seed_every_kind(admin_user)
    failures = _crawl(app, admin_client, ids)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:int(__import__("os").environ.get("CRAWL_SHOW", 40))])
