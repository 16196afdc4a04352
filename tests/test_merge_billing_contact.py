"""A merge leaves the kept company with one billing contact at most, and its undo gives the
absorbed company its billing contact back."""
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Contact
from admin_app.services.merge import merge_companies, preview, undo_merge


def _with_contacts(make_company, name, *contacts):
    company = make_company(name)
    for last_name, billing in contacts:
        db.session.add(Contact(company=company, last_name=last_name, is_billing_contact=billing))
    db.session.commit()
    return company


def _billing(company_id):
    return db.session.scalars(select(Contact.last_name).where(
        Contact.company_id == company_id, Contact.is_billing_contact)).all()


def test_a_moved_billing_contact_loses_the_flag_when_the_kept_company_has_one(
        make_company, admin_user):
    kept = _with_contacts(make_company, "Acme", ("Kept", True), ("Other", False))
    absorbed = _with_contacts(make_company, "Acme SARL", ("Moved", True))
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert _billing(kept.id) == ["Kept"]
    assert len(db.session.scalars(select(Contact).where(Contact.company_id == kept.id)).all()) == 3


def test_undo_gives_the_absorbed_company_its_billing_contact_back(make_company, admin_user):
    kept = _with_contacts(make_company, "Acme", ("Kept", True))
    absorbed = _with_contacts(make_company, "Acme SARL", ("Moved", True))
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    undo_merge(merge, admin_user)
    db.session.commit()
    assert _billing(kept.id) == ["Kept"]
    assert _billing(absorbed.id) == ["Moved"]


def test_a_moved_billing_contact_keeps_the_flag_when_the_kept_company_has_none(
        make_company, admin_user):
    kept = _with_contacts(make_company, "Acme", ("Kept", False))
    absorbed = _with_contacts(make_company, "Acme SARL", ("Moved", True))
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert _billing(kept.id) == ["Moved"]
    undo_merge(merge, admin_user)
    db.session.commit()
    assert _billing(absorbed.id) == ["Moved"] and _billing(kept.id) == []


def test_the_preview_says_the_moved_billing_contact_loses_the_flag(make_company, admin_client):
    kept = _with_contacts(make_company, "Acme", ("Kept", True))
    absorbed = _with_contacts(make_company, "Acme SARL", ("Moved", True))
    assert preview(kept, absorbed)["billing_contact_cleared"]
    html = admin_client.get(f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}").get_data(
        as_text=True)
    assert "data-billing-contact-cleared" in html
