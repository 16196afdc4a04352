"""The data-quality page: each count matches an independent count, is one query, and links to
the list filtered to exactly those records."""
import re
from datetime import timedelta

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from stdnum.es import nif
from stdnum.fr import siren, siret

from admin_app.extensions import db
from admin_app.legal_ids import legal_id_check
from admin_app.models import Address, Company, Contact, Exchange
from admin_app.models.base import utcnow
from admin_app.services.data_quality import COMPANY_CHECKS, company_count, company_counts


@pytest.fixture
def messy(make_company):
    old = utcnow() - timedelta(days=400)
    rows = [
        dict(name="Clean", email="a@clean.example", phone="+34 911", legal_id="B64717838"),
        dict(name="No Email", phone="+34 912", legal_id="732829320"),
        dict(name="No Phone", email="x@nophone.example", legal_id="73282932000074"),
        dict(name="Nothing"),
        dict(name="Blank", email="  ", phone=""),
        dict(name="Bad Email", email="bad@", phone="1"),
        dict(name="Spaced", email="a b@c.example", phone="1"),
        dict(name="Bad CIF", email="c@cif.example", phone="1", legal_id="B64717839"),
        dict(name="Bad DNI", email="d@dni.example", phone="1", legal_id="12345678A"),
        dict(name="Bad SIREN", email="e@siren.example", phone="1", legal_id="732829321"),
        dict(name="Bad SIRET", email="f@siret.example", phone="1", legal_id="73282932000075"),
        dict(name="German", email="g@de.example", phone="1", legal_id="DE123456789"),
        dict(name="Old Lead", email="h@old.example", phone="1", status="lead"),
        dict(name="Old Lead Called", email="i@called.example", phone="1", status="lead"),
        dict(name="Old Client", email="j@client.example", phone="1", status="client"),
    ]
    made = {}
    for row in rows:
        made[row["name"]] = make_company(**{"status": "client", **row})
    keeper = made["Clean"]
    made["Merged"] = make_company("Merged", email="bad@", merged_into_id=keeper.id)
    db.session.add_all([
        Address(company=keeper, label="", line1="1 Rue", city="Lyon", country="FR", is_main=True),
        Address(company=made["No Email"], label="", line1="2 Rue", city="Lyon", country="FR"),
        Exchange(company=made["Old Lead Called"], kind="call", title="Call",
                 occurred_at=utcnow() - timedelta(days=30)),
        Contact(company=keeper, last_name="Same", email="same@CLEAN.example"),
        Contact(company=keeper, last_name="Other", email="other@elsewhere.example"),
        Contact(company=keeper, last_name="Free", email=None),
        Contact(company=made["Nothing"], last_name="NoDomain", email="z@anything.example"),
    ])
    db.session.commit()
    for name in ("Old Lead", "Old Lead Called", "Old Client"):
        made[name].updated_at = old
    db.session.commit()
    return made


def _independent(check: str, company: Company) -> bool:
    """The same rules written again in Python, row by row."""
    email, phone = (company.email or "").strip(), (company.phone or "").strip()

    def valid(address):
        try:
            validate_email(address, check_deliverability=False)
            return True
        except EmailNotValidError:
            return False

    key = re.sub(r"[^A-Z0-9]", "", (company.legal_id or "").upper())
    exchanges = [e for e in db.session.scalars(select(Exchange).where(
        Exchange.company_id == company.id))]
    year_ago = utcnow() - timedelta(days=365)
    return {
        "no_email": not email,
        "no_phone": not phone,
        "unreachable": not email and not phone,
        "invalid_email": bool(email) and not valid(email),
        "bad_es_id": bool(re.match(r"^(\d{8}[A-Z]|[A-Z]\d{7}[0-9A-Z])$", key))
        and not nif.is_valid(key),
        "bad_fr_id": (len(key) == 9 and key.isdigit() and not siren.is_valid(key))
        or (len(key) == 14 and key.isdigit() and not siret.is_valid(key)),
        "no_main_address": not any(a.is_main for a in company.addresses),
        "stale_lead": company.status == "lead" and company.updated_at < year_ago
        and not any(e.occurred_at >= year_ago for e in exchanges),
    }[check]


def _page_counts(client) -> dict[str, int]:
    html = client.get("/admin/data-quality/").get_data(as_text=True)
    return {k: int(v) for k, v in re.findall(
        r'data-check="(\w+)">\s*[^<]*<span class="[^"]*" data-value="(\d+)"', html)}


def _listed(client, url: str) -> set[str]:
    html = client.get(url + "&page_size=100").get_data(as_text=True)
    return set(re.findall(r'<a href="/admin/company/card/\?id=\d+">([^<]+)</a>', html))


def test_each_count_matches_an_independent_count_and_its_list(admin_client, messy):
    live = [c for c in db.session.scalars(select(Company)) if c.merged_into_id is None]
    counts = _page_counts(admin_client)
    html = admin_client.get("/admin/data-quality/").get_data(as_text=True)
    for check in COMPANY_CHECKS:
        expected = {c.name for c in live if _independent(check.key, c)}
        assert counts[check.key] == len(expected), check.key
        url = re.search(rf'href="([^"]+)" data-check="{check.key}"', html).group(1)
        assert _listed(admin_client, url.replace("&amp;", "&")) == expected, check.key
    assert counts["bad_es_id"] == 2 and counts["bad_fr_id"] == 2 and counts["stale_lead"] == 1


def test_contacts_outside_their_companys_domain(admin_client, messy):
    expected = {c.last_name for c in db.session.scalars(select(Contact))
                if c.email and c.company.email_domain
                and not c.email.lower().endswith("@" + c.company.email_domain)}
    assert expected == {"Other"}
    assert _page_counts(admin_client)["contact_domain_mismatch"] == 1
    html = admin_client.get("/admin/data-quality/").get_data(as_text=True)
    url = re.search(r'href="([^"]+)" data-check="contact_domain_mismatch"', html).group(1)
    listed = admin_client.get(url.replace("&amp;", "&")).get_data(as_text=True)
    assert "Other" in listed and "Same" not in listed and "NoDomain" not in listed


def test_each_count_is_one_query(messy, count_queries):
    for check in COMPANY_CHECKS:
        with count_queries() as statements:
            company_count(check)
        assert len(statements) == 1, check.key


def test_every_check_is_counted_by_one_statement_together(messy, count_queries):
    singly = {check.key: company_count(check) for check in COMPANY_CHECKS}
    with count_queries() as statements:
        together = company_counts()
    assert together == singly and any(singly.values())
    # One read of the running tallies for every check (tests/test_quality_tallies.py).
    assert len(statements) == 1


def test_duplicate_pairs_come_from_the_cached_scan(admin_client, make_company):
    make_company("Acme Logistics", legal_id="B64717838")
    make_company("ACME LOGISTICS SL", legal_id="B-64717838")
    from admin_app.services.duplicate_cache import invalidate
    invalidate()
    html = admin_client.get("/admin/data-quality/").get_data(as_text=True)
    assert 'data-check="duplicates"' in html and "not scanned since the last change" in html
    admin_client.get("/admin/duplicates/")
    html = admin_client.get("/admin/data-quality/").get_data(as_text=True)
    assert re.search(r'data-check="duplicates">[^<]*<span[^>]*data-value="1"', html)


def test_the_page_is_for_admins(user_client, client):
    assert user_client.get("/admin/data-quality/").status_code == 403
    assert client.get("/admin/data-quality/").status_code == 302


def test_an_unknown_filter_value_filters_nothing(admin_client, messy):
    html = admin_client.get("/admin/company/?flt0_data_quality_is=%00nope").get_data(as_text=True)
    assert html.count("/admin/company/card/?id=") >= len(messy) - 1


@pytest.mark.parametrize("legal_id, verdict", [
    ("B64717838", "es"), ("ES-B64717838", "es"), ("B64717839", "es_bad"), ("54362315K", "es"),
    ("X1234567L", "es"), ("12345678A", "es_bad"), ("732 829 320", "fr"), ("732829321", "fr_bad"),
    ("732 829 320 00074", "fr"), ("73282932000075", "fr_bad"), ("FR40303265045", "fr"),
    ("DE123456789", "other"), ("", ""), (None, ""), ("=1+1", "other"),
])
def test_legal_ids_are_classified_by_scheme_and_check_digits(legal_id, verdict):
    assert legal_id_check(legal_id) == verdict


def test_the_verdict_follows_the_legal_id_when_it_changes(make_company):
    company = make_company("Acme", legal_id="B64717839")
    assert company.legal_id_check == "es_bad"
    company.legal_id = "B64717838"
    db.session.commit()
    assert company.legal_id_check == "es"
