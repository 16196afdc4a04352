"""The inalterable register: every issued invoice and credit note is chained; an UPDATE made
behind the app's back is found at the right record, by the CLI and by the list's badge."""
from datetime import date

import pytest
from sqlalchemy import text

from admin_app.extensions import db
from admin_app.models import RegisterRecord
from admin_app.services import credit_notes as credits
from admin_app.services.register import verify
from admin_app.services.sales import issue_invoice


@pytest.fixture
def issued(make_company, make_document):
    """Five issued invoices and a credit note on the second: six records."""
    company = make_company("Register SL")
    invoices = []
    for n in range(5):
        invoice = make_document("invoice", company, lines=[(str(n + 1), "10.00", "21")],
                                issue_date=date(2026, 3, n + 1), due_date=date(2026, 4, 1))
        issue_invoice(invoice)
        db.session.commit()
        invoices.append(invoice)
    credits.issue_credit_note(invoices[1], credits.full_parts(invoices[1]))
    db.session.commit()
    return invoices


@pytest.mark.raw_figures  # tampers with an issued invoice in SQL, as an attacker would
def test_the_chain_verifies_then_a_direct_update_is_reported_at_its_record(app, issued):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-register"])
    assert result.exit_code == 0 and "6 records verified" in result.output
    records = db.session.scalars(db.select(RegisterRecord).order_by(RegisterRecord.id)).all()
    assert [r.previous_hash for r in records[1:]] == [r.record_hash for r in records[:-1]]

    db.session.execute(text("UPDATE invoices SET total_excl_tax = 1, total_tax = 0, "
                            "total_incl_tax = 1 WHERE id = :id"), {"id": issued[3].id})
    db.session.commit()
    result = runner.invoke(args=["verify-register"])
    broken = next(r for r in records if r.kind == "invoice" and r.document_id == issued[3].id)
    assert result.exit_code == 1
    assert f"record {broken.id} (invoice {issued[3].number})" in result.output
    assert verify().broken.id == broken.id


def test_an_altered_line_or_a_removed_record_breaks_the_chain(issued):
    db.session.execute(text("UPDATE invoice_lines SET description = 'Other' "
                            "WHERE invoice_id = :id"), {"id": issued[0].id})
    db.session.commit()
    assert verify().broken.document_id == issued[0].id
    db.session.execute(text("UPDATE invoice_lines SET description = 'Item 1x10.00' "
                            "WHERE invoice_id = :id"), {"id": issued[0].id})
    third = db.session.scalars(db.select(RegisterRecord.id).order_by(RegisterRecord.id)).all()[2]
    db.session.execute(text("DELETE FROM register_records WHERE id = :id"), {"id": third})
    db.session.commit()
    verdict = verify()
    assert verdict.broken.id == third + 1 and "link" in verdict.problem


@pytest.mark.raw_figures  # tampers with an issued invoice in SQL, as an attacker would
def test_the_badge_shows_the_last_verdict_in_a_constant_number_of_queries(
        admin_client, issued, make_company, make_document, count_queries):
    company = make_company("More SL")

    def issue(count: int) -> None:
        for _ in range(count):
            issue_invoice(make_document("invoice", company))
        db.session.commit()
    issue(30)  # a full first page, so both measures below count the list (admin/counting.py)
    page = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert 'data-register="unchecked"' in page
    admin_client.post("/admin/invoice/verify-register/", data={})
    page = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert 'data-register="intact"' in page and "Register intact" in page
    with count_queries() as few:
        admin_client.get("/admin/invoice/")
    issue(30)
    admin_client.get("/admin/invoice/")  # the same warm state as the first measure
    with count_queries() as many:
        page = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert len(many) == len(few)
    assert "30 added since" in page
    db.session.execute(text("UPDATE invoices SET issue_date = '2020-01-01' WHERE id = :id"),
                       {"id": issued[2].id})
    db.session.commit()
    admin_client.post("/admin/invoice/verify-register/", data={})
    page = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert 'data-register="broken"' in page


def test_the_badge_is_for_admins_only(user_client, issued):
    page = user_client.get("/admin/invoice/").get_data(as_text=True)
    assert "data-register" not in page
    assert user_client.post("/admin/invoice/verify-register/", data={}).status_code in (400, 403)


def test_demo_data_is_frozen_and_registered_in_issue_order_as_if_issued_one_by_one(app):
    from admin_app.models import DocumentSnapshot, Invoice, Order, Quote
    from admin_app.services.demo import seed_demo
    from admin_app.services.snapshots import build, freeze_unfrozen

    seed_demo(companies=25, seed=5)
    db.session.execute(db.delete(RegisterRecord))
    db.session.execute(db.delete(DocumentSnapshot))
    db.session.flush()
    frozen = freeze_unfrozen(batch=7)  # small batches: the walk crosses many boundaries
    db.session.commit()

    numbered = sum(db.session.scalar(db.select(db.func.count()).select_from(m)
                                     .where(m.number.is_not(None))) for m in (Quote, Order, Invoice))
    assert frozen == numbered > 20
    assert db.session.scalar(db.select(db.func.count()).select_from(DocumentSnapshot)) == numbered
    invoices = db.session.scalars(db.select(Invoice).where(Invoice.number.is_not(None))
                                  .order_by(Invoice.issued_at, Invoice.id)).all()
    records = db.session.scalars(db.select(RegisterRecord).order_by(RegisterRecord.id)).all()
    assert [(r.kind, r.document_id) for r in records] == [("invoice", i.id) for i in invoices]
    verdict = verify()
    assert verdict.broken is None and verdict.records == len(invoices)
    # The bulk path stores what the one-by-one path would have built.
    for invoice in invoices[:: max(1, len(invoices) // 5)]:
        stored = db.session.scalar(db.select(DocumentSnapshot.data).where(
            DocumentSnapshot.kind == "invoice", DocumentSnapshot.document_id == invoice.id))
        assert stored == build(invoice)


def test_the_badge_counts_the_records_added_since_up_to_a_cap(
        admin_client, issued, make_company, make_document, monkeypatch):
    from admin_app.services import register
    admin_client.post("/admin/invoice/verify-register/", data={})
    company = make_company("Later SL")
    for _ in range(7):
        issue_invoice(make_document("invoice", company))
    db.session.commit()
    assert "7 added since" in admin_client.get("/admin/invoice/").get_data(as_text=True)
    monkeypatch.setattr(register, "UNCHECKED_CAP", 5)
    page = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert "5+ added since" in page and "7 added since" not in page
