"""One write path: every list's bulk delete goes through the rules of its kind, on SQLite and
PostgreSQL alike, and views commit only through the unit-of-work helper."""
import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from admin_app.extensions import db
from admin_app.models import (
    Address, CommentTemplate, Contact, CustomFieldDefinition, Document, EmailTemplate, Exchange,
    Invoice, Opportunity, Order, Payment, PipelineStage, Quote, User,
)

APP = Path(__file__).resolve().parents[1] / "admin_app"


def _bulk_delete(client, endpoint: str, ids):
    return client.post(f"/admin/{endpoint}/action/",
                       data={"action": "delete", "rowid": [str(i) for i in ids]},
                       follow_redirects=True)


@pytest.fixture
def one_of_each(make_company, make_document, admin_user, tmp_path):
    """One deletable row of every list that offers "Delete selected"."""
    company = make_company("Bulk Ltd")
    stage = PipelineStage(name="Lead in", position=9, probability=10)
    rows = {
        "contact": Contact(company=company, first_name="Ann", last_name="Lee"),
        "address": Address(company=company, label="HQ", line1="1 Main St", city="Madrid",
                           country="ES"),
        "exchange": Exchange(company=company, kind="note", title="A note",
                             occurred_at=date.today()),
        "opportunity": Opportunity(company=company, title="Deal", amount=Decimal("10.00")),
        "document": Document(company=company, title="Spec", original_name="spec.txt",
                             file="documents/none", content_type="text/plain", size_bytes=1),
        "commenttemplate": CommentTemplate(name="Hello", body="<p>Hi</p>"),
        "emailtemplate": EmailTemplate(name="Reminder", subject="Hi", body="Hello"),
        "customfielddefinition": CustomFieldDefinition(label="Size", key="size",
                                                       field_type="text"),
        "pipelinestage": stage,
        "user": User(email="gone@example.com", full_name="Gone", password_hash="x", role="user"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    rows["quote"] = make_document("quote", company)
    rows["order"] = make_document("order", company)
    rows["invoice"] = make_document("invoice", company)
    return rows


LISTS = ["contact", "address", "exchange", "opportunity", "document", "commenttemplate",
         "emailtemplate", "customfielddefinition", "pipelinestage", "user", "quote", "order",
         "invoice"]


@pytest.mark.parametrize("endpoint", LISTS)
def test_bulk_delete_works_on_every_list(admin_client, one_of_each, endpoint):
    row = one_of_each[endpoint]
    model, row_id = type(row), row.id
    response = _bulk_delete(admin_client, endpoint, [row_id])
    assert response.status_code == 200
    assert "successfully deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(model, row_id) is None


def test_bulk_delete_ignores_ids_that_are_not_ids(admin_client, one_of_each):
    contact = one_of_each["contact"]
    response = _bulk_delete(admin_client, "contact",
                            [contact.id, "abc", "-1", "99999999999999999999", "1\x00"])
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, contact.id) is None


@pytest.fixture
def paid_invoice(make_company, make_invoice):
    today = date.today()
    invoice = make_invoice(make_company("Payer SA"), lines=(("1", "100.00", "0"),),
                           issue_date=today - timedelta(days=20),
                           payments=[("60.00", today - timedelta(days=5)),
                                     ("40.00", today - timedelta(days=2))])
    assert invoice.paid_on == today - timedelta(days=2)
    return invoice


def test_bulk_deleting_payments_reopens_the_invoice(admin_client, paid_invoice):
    last = max(paid_invoice.payments, key=lambda p: p.paid_on)
    response = _bulk_delete(admin_client, "payment", [last.id])
    assert "successfully deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    invoice = db.session.get(Invoice, paid_invoice.id)
    assert invoice.paid_on is None and len(invoice.payments) == 1


def test_bulk_deleting_every_payment_leaves_the_whole_balance(admin_client, paid_invoice):
    ids = [p.id for p in paid_invoice.payments]
    _bulk_delete(admin_client, "payment", ids)
    db.session.expire_all()
    invoice = db.session.get(Invoice, paid_invoice.id)
    assert invoice.paid_on is None and invoice.payments == []
    assert db.session.query(Payment).count() == 0


def test_deleting_one_payment_from_its_page_reopens_the_invoice(admin_client, paid_invoice):
    payment = paid_invoice.payments[0]
    admin_client.post("/admin/payment/delete/", data={"id": str(payment.id)})
    db.session.expire_all()
    assert db.session.get(Invoice, paid_invoice.id).paid_on is None


def test_bulk_delete_refuses_numbered_documents_and_deletes_none(admin_client, make_company,
                                                                 make_document):
    company = make_company()
    draft = make_document("quote", company)
    numbered = make_document("quote", company, number="Q-2026-0001", status="sent")
    response = _bulk_delete(admin_client, "quote", [draft.id, numbered.id])
    page = response.get_data(as_text=True)
    assert "Nothing was deleted" in page and "Q-2026-0001" in page
    db.session.expire_all()
    assert db.session.get(Quote, draft.id) is not None


def test_bulk_delete_keeps_the_last_active_admin(admin_client, admin_user, make_user):
    other = make_user("second@example.com")
    response = _bulk_delete(admin_client, "user", [admin_user.id, other.id])
    assert "your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, other.id) is not None


def test_bulk_delete_refuses_a_stage_that_holds_opportunities(admin_client, one_of_each):
    stage, opportunity = one_of_each["pipelinestage"], one_of_each["opportunity"]
    opportunity.stage = stage
    db.session.commit()
    response = _bulk_delete(admin_client, "pipelinestage", [stage.id])
    assert "holds 1 opportunities" in response.get_data(as_text=True)
    assert db.session.get(PipelineStage, stage.id) is not None


def test_a_refusal_during_a_save_changes_nothing(admin_client, admin_user):
    response = admin_client.post(f"/admin/user/edit/?id={admin_user.id}", data={
        "email": admin_user.email, "full_name": "Ada", "role": "user", "is_active": "y",
        "password": "", "password_confirm": ""}, follow_redirects=True)
    assert "last active administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, admin_user.id)
    assert user.role == "admin" and user.full_name == "Ada Admin"


def test_an_order_invoiced_by_a_bad_percentage_is_refused_without_a_draft(
        admin_client, make_company, make_document):
    order = make_document("order", make_company(), number="O-2026-0001")
    for raw in ("abc", "NaN", "Infinity", "150"):
        response = admin_client.post("/admin/order/invoice/", data={"id": order.id,
                                                                    "percent": raw},
                                     follow_redirects=True)
        assert response.status_code == 200
    assert db.session.query(Invoice).count() == 0
    assert db.session.get(Order, order.id).status == "open"


# --- structure -------------------------------------------------------------------------------

def _calls(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            if isinstance(node.value, ast.Attribute) and node.value.attr == "session":
                found.append(f"{path.relative_to(APP)}:{node.lineno} session.{node.attr}")
    return found


def test_views_commit_only_through_the_unit_of_work():
    modules = [*APP.glob("admin/*.py"), *APP.glob("auth/*.py"), *APP.glob("portal/*.py")]
    offenders = [hit for path in modules for hit in _calls(path, {"commit", "rollback"})]
    assert offenders == [], "views must commit through admin_app.unit_of_work"


def test_services_never_commit():
    offenders = [hit for path in APP.glob("services/**/*.py") if path.name != "demo.py"
                 for hit in _calls(path, {"commit"})]
    assert offenders == [], "services flush; the unit of work commits"


def test_view_hooks_only_call_services():
    """A hook with more than a couple of statements is a rule living in a view."""
    long_hooks = []
    for path in APP.glob("admin/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in {
                    "on_model_change", "on_model_delete", "remove_model", "delete_model"}:
                body = [n for n in node.body if not isinstance(n, ast.Expr)
                        or not isinstance(n.value, ast.Constant)]
                if len(body) > 4:
                    long_hooks.append(f"{path.name}:{node.lineno} {node.name}")
    assert long_hooks == []
