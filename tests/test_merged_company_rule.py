"""Nothing can be attached to a merged-away company, whichever path tries: the admin forms, code
that adds rows, a row moved to it; and the company pickers no longer offer it."""
import json
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from admin_app.errors import Refusal
from admin_app.extensions import db
from admin_app.models import (
    Address, Company, Contact, CustomFieldValue, Document, Exchange, Invoice, Opportunity, Order,
    Quote,
)
from admin_app.services.merge import merge_companies, undo_merge
from merge_helpers import definition

ROWS = {
    "address": lambda c: Address(company=c, line1="1 Main St"),
    "contact": lambda c: Contact(company=c, last_name="Roux"),
    "exchange": lambda c: Exchange(company=c, kind="note", title="Note",
                                   occurred_at=datetime(2024, 1, 1)),
    "opportunity": lambda c: Opportunity(company=c, title="Deal"),
    "quote": lambda c: Quote(company=c, issue_date=date(2024, 1, 1)),
    "order": lambda c: Order(company=c, order_date=date(2024, 1, 1)),
    "invoice": lambda c: Invoice(company=c, issue_date=date(2024, 1, 1),
                                 due_date=date(2024, 2, 1)),
    "document": lambda c: Document(company=c, original_name="a.pdf", file=uuid.uuid4().hex),
    "custom value": lambda c: CustomFieldValue(company=c, definition=definition("sector"),
                                               value="Retail"),
    "contact by id": lambda c: Contact(company_id=c.id, last_name="Roux"),
}


@pytest.fixture
def merged(make_company, admin_user):
    """(kept, tombstone): "Old Acme" merged into "Acme"."""
    kept, gone = make_company("Acme"), make_company("Old Acme")
    merge_companies(kept, gone, admin_user)
    db.session.commit()
    return kept, gone


@pytest.mark.parametrize("kind", ROWS)
def test_no_row_of_any_kind_can_be_added_to_a_merged_away_company(merged, kind):
    kept, gone = merged
    db.session.add(ROWS[kind](gone))
    with pytest.raises(Refusal, match="“Old Acme” was merged into “Acme”"):
        db.session.flush()
    db.session.rollback()


def test_a_row_cannot_be_moved_to_a_merged_away_company(merged):
    kept, gone = merged
    contact = Contact(company=kept, last_name="Roux")
    db.session.add(contact)
    db.session.commit()
    contact.company_id = gone.id
    with pytest.raises(Refusal):
        db.session.commit()
    db.session.rollback()
    contact.company = gone
    with pytest.raises(Refusal):
        db.session.commit()


def test_rows_of_live_companies_and_edits_of_other_fields_still_save(merged):
    kept, _gone = merged
    contact = Contact(company=kept, last_name="Roux")
    db.session.add(contact)
    db.session.commit()
    contact.last_name = "Rousseau"
    db.session.commit()
    assert db.session.get(Contact, contact.id).last_name == "Rousseau"


def test_merge_and_undo_still_move_rows_to_and_from_the_tombstone(make_company, admin_user):
    kept, gone = make_company("Acme"), make_company("Old Acme")
    db.session.add_all([ROWS[kind](gone) for kind in ("contact", "address", "quote")])
    db.session.commit()
    merge = merge_companies(kept, gone, admin_user)
    db.session.commit()
    undo_merge(merge, admin_user)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Contact.company_id == gone.id)) == 1
    assert gone.merged_into_id is None


@pytest.mark.parametrize("endpoint, data", [
    ("contact", {"last_name": "Roux"}),
    ("address", {"line1": "1 Main St"}),
    ("exchange", {"kind": "call", "title": "Call", "occurred_at": "2024-01-01 10:00:00"}),
    ("opportunity", {"title": "Deal", "amount": "10", "status": "open"}),
    ("quote", {"issue_date": "2024-01-01"}),
    ("invoice", {"issue_date": "2024-01-01", "due_date": "2024-02-01"}),
])
def test_admin_forms_refuse_a_merged_away_company_with_a_message(admin_client, merged,
                                                                 endpoint, data):
    _kept, gone = merged
    model = {"contact": Contact, "address": Address, "exchange": Exchange,
             "opportunity": Opportunity, "quote": Quote, "invoice": Invoice}[endpoint]
    response = admin_client.post(f"/admin/{endpoint}/new/", data={"company": gone.id, **data},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert "was merged into" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_company_pickers_do_not_offer_merged_away_companies(admin_client, merged):
    for endpoint in ("contact", "address", "exchange", "opportunity", "quote", "order",
                     "invoice", "document"):
        found = json.loads(admin_client.get(f"/admin/{endpoint}/ajax/lookup/", query_string={
            "name": "company", "query": "Acme"}).get_data(as_text=True))
        assert [name for _id, name in found] == ["Acme"], endpoint
    assert db.session.scalar(select(func.count()).select_from(Company)) == 2
