"""merge_companies and undo_merge: what moves, what wins, what is recorded, what is refused."""
import pytest
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, Company, Contact, CustomFieldValue, Document, Exchange, Invoice, Merge,
    Opportunity, Order, Quote,
)
from admin_app.services.merge import MergeError, merge_companies, preview, undo_merge
from tests.merge_helpers import definition, fill_company, snapshot

LINKED = (Address, Contact, Exchange, Opportunity, Quote, Order, Invoice, Document)


@pytest.fixture
def pair(make_company, make_invoice, admin_user):
    kept = make_company("Acme Logistics", status="lead", email="info@acme.example", phone=None,
                        comments="<p>Kept notes</p>")
    absorbed = make_company("ACME Logistics SARL", status="client", email="sales@acme.example",
                            phone="+33 4 72 00 00 00", website="https://acme.example",
                            comments="<p>Absorbed notes</p>")
    fill_company(kept, make_invoice, "K", custom={"industry": "Retail", "size": ""})
    fill_company(absorbed, make_invoice, "A",
                 custom={"industry": "Services", "size": "50", "region": "North"})
    return kept, absorbed


def _count(model, company_id):
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.company_id == company_id))


def test_merge_moves_every_linked_row_to_the_kept_company(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    for model in LINKED:
        per_company = 2 if model is Address else 1
        assert _count(model, kept.id) == 2 * per_company, model.__name__
        assert _count(model, absorbed.id) == 0, model.__name__
    assert set(merge.moved) >= {"addresses.company_id", "contacts.company_id",
                                "invoices.company_id", "documents.company_id"}
    assert merge.moved["contacts.company_id"] == [c.id for c in db.session.scalars(
        select(Contact).where(Contact.last_name == "Lopez A"))]


def test_merge_fills_empty_fields_concatenates_comments_and_keeps_client_status(pair, admin_user):
    kept, absorbed = pair
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert kept.name == "Acme Logistics"  # the kept value wins
    assert kept.email == "info@acme.example"
    assert kept.phone == "+33 4 72 00 00 00"  # empty on the kept one: filled
    assert kept.website == "https://acme.example"
    assert kept.status == "client" and kept.converted_at is not None
    assert kept.comments.startswith("<p>Kept notes</p>")
    assert "Absorbed notes" in kept.comments and "Merged from ACME Logistics SARL" in kept.comments


def test_merge_applies_the_fields_the_user_picked_from_the_absorbed_company(pair, admin_user):
    kept, absorbed = pair
    industry = definition("industry")
    merge_companies(kept, absorbed, admin_user,
                    {"email": "absorbed", "name": "kept", f"cf:{industry.id}": "absorbed"})
    db.session.commit()
    assert kept.email == "sales@acme.example"
    values = {v.definition.key: v.value for v in db.session.scalars(
        select(CustomFieldValue).where(CustomFieldValue.company_id == kept.id))}
    assert values == {"industry": "Services", "size": "50", "region": "North"}


def test_conflicting_custom_values_stay_on_the_tombstone_and_are_recorded(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    values = {v.definition.key: v.value for v in db.session.scalars(
        select(CustomFieldValue).where(CustomFieldValue.company_id == kept.id))}
    assert values == {"industry": "Retail", "size": "50", "region": "North"}
    left = db.session.scalars(select(CustomFieldValue).where(
        CustomFieldValue.company_id == absorbed.id).order_by(CustomFieldValue.id)).all()
    assert [v.value for v in left] == ["Services", "50"]  # nothing deleted
    assert merge.previous_values["left"]["custom_field_values.company_id"] == [v.id for v in left]


def test_moved_addresses_lose_the_default_flags_the_kept_company_has(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    addresses = db.session.scalars(select(Address).where(Address.company_id == kept.id)).all()
    for flag in ("is_main", "is_billing_default", "is_delivery_default"):
        assert sum(getattr(a, flag) for a in addresses) == 1, flag
    cleared = merge.previous_values["cleared_flags"]["addresses"]
    assert set(cleared) == {"is_main", "is_billing_default", "is_delivery_default"}


def test_moved_address_keeps_a_default_flag_the_kept_company_lacks(make_company, make_invoice,
                                                                   admin_user):
    kept, absorbed = make_company("Kept"), make_company("Absorbed")
    fill_company(kept, make_invoice, "K", main=False)
    fill_company(absorbed, make_invoice, "A", main=True)
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    main = db.session.scalars(select(Address).where(Address.company_id == kept.id,
                                                    Address.is_main)).one()
    assert main.label == "Head office A"


def test_absorbed_company_becomes_a_tombstone_with_a_merge_record_and_audit(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user, note="same firm")
    db.session.commit()
    assert db.session.get(Company, absorbed.id).merged_into_id == kept.id
    record = db.session.scalars(select(Merge)).one()
    assert (record.kept_id, record.absorbed_id, record.user_id) == (kept.id, absorbed.id,
                                                                    admin_user.id)
    assert record.previous_values["absorbed"]["name"] == "ACME Logistics SARL"
    assert record.previous_values["kept"]["phone"] is None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "merge")).one()
    assert entry.entity_id == kept.id and entry.changes["moved"]["invoices.company_id"] == 1
    assert merge.note == "same firm"


@pytest.mark.parametrize("case", ["itself", "kept_tombstone", "absorbed_tombstone"])
def test_bad_pairs_are_refused_with_a_clear_message(make_company, admin_user, case):
    a, b, c = make_company("A"), make_company("B"), make_company("C")
    merge_companies(a, c, admin_user)
    db.session.commit()
    kept, absorbed, message = {
        "itself": (b, b, "into itself"),
        "kept_tombstone": (c, b, "was merged into another company"),
        "absorbed_tombstone": (b, c, "already merged"),
    }[case]
    before = snapshot()
    with pytest.raises(MergeError, match=message):
        merge_companies(kept, absorbed, admin_user)
    db.session.rollback()
    assert snapshot() == before


def test_undo_restores_the_database_row_by_row(pair, admin_user):
    kept, absorbed = pair
    industry = definition("industry")
    before = snapshot()
    merge = merge_companies(kept, absorbed, admin_user, {"name": "absorbed",
                                                         f"cf:{industry.id}": "absorbed"})
    db.session.commit()
    assert snapshot() != before
    warnings = undo_merge(merge, admin_user)
    db.session.commit()
    assert warnings == []
    assert snapshot() == before
    assert merge.undone_at is not None and merge.undone_by_id == admin_user.id
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "unmerge")).one()


def test_rows_created_after_the_merge_stay_with_the_kept_company(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    later = Contact(company_id=kept.id, last_name="Newcomer")
    db.session.add(later)
    db.session.commit()
    undo_merge(merge, admin_user)
    db.session.commit()
    assert db.session.get(Contact, later.id).company_id == kept.id
    assert _count(Contact, absorbed.id) == 1 and _count(Contact, kept.id) == 2


def test_undo_keeps_fields_edited_after_the_merge_and_says_so(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    kept.phone = "+33 1 00 00 00 00"
    db.session.commit()
    warnings = undo_merge(merge, admin_user)
    db.session.commit()
    assert kept.phone == "+33 1 00 00 00 00" and kept.website is None
    assert any("phone" in w for w in warnings)


def test_a_merge_cannot_be_undone_twice(pair, admin_user):
    kept, absorbed = pair
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    undo_merge(merge, admin_user)
    db.session.commit()
    with pytest.raises(MergeError, match="already undone"):
        undo_merge(merge, admin_user)


def test_undo_is_refused_while_the_kept_company_is_itself_merged(make_company, admin_user):
    a, b, c = make_company("A"), make_company("B"), make_company("C")
    first = merge_companies(a, b, admin_user)
    merge_companies(c, a, admin_user)
    db.session.commit()
    with pytest.raises(MergeError, match="undo that merge first"):
        undo_merge(first, admin_user)


def test_preview_lists_fields_side_by_side_and_rows_that_will_move(pair):
    kept, absorbed = pair
    shown = preview(kept, absorbed)
    phone = next(f for f in shown["fields"] if f["key"] == "phone")
    assert phone["kept"] == "" and phone["absorbed"] == "+33 4 72 00 00 00"
    assert phone["default"] == "absorbed"
    linked = {row["key"]: (row["kept"], row["absorbed"]) for row in shown["linked"]}
    assert linked["invoices.company_id"] == (1, 1) and linked["addresses.company_id"] == (2, 2)
    assert shown["status"] == "client" and "the main address" in shown["cleared_flags"]
    industry = next(c for c in shown["custom"] if c["label"] == "Industry")
    assert industry["conflict"] and industry["default"] == "kept"
