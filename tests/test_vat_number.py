"""The buyer's VAT number: entered and checked on the company form, shown on the card, frozen
in the issued document's snapshot and printed on its PDF, imported and merged."""
import io
from datetime import date

import pypdf
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Company
from admin_app.services import snapshots
from admin_app.services.merge import merge_companies, preview as merge_preview
from admin_app.services.pdf import document_pdf
from admin_app.services.sales import issue_invoice
from tests.import_helpers import csv_bytes, lines, preview, run_import


def _form(**fields):
    data = {"name": "Nordic Foods", "status": "lead", "email": "", "phone": "", "website": "",
            "legal_id": "", "vat_number": "", "comments": ""}
    data.update(fields)
    return data


def test_the_form_stores_the_vat_number_upper_case_without_spaces_or_dots(admin_client):
    response = admin_client.post("/admin/company/new/",
                                 data=_form(vat_number=" es b-12.345 674 "))
    assert response.status_code == 302, response.get_data(as_text=True)
    company = db.session.scalar(select(Company))
    assert company.vat_number == "ESB12345674"


def test_an_empty_vat_number_is_stored_as_none(admin_client):
    assert admin_client.post("/admin/company/new/", data=_form()).status_code == 302
    assert db.session.scalar(select(Company)).vat_number is None


def test_a_vat_number_without_a_country_prefix_is_refused_and_nothing_is_saved(admin_client):
    for bad in ("12345678", "E1", "ES" + "1" * 14, "ES12\x0034", "=HYPERLINK(1)"):
        response = admin_client.post("/admin/company/new/", data=_form(vat_number=bad))
        assert response.status_code == 200
        assert "Enter a VAT number as a two-letter country code" in response.get_data(as_text=True)
    assert db.session.scalar(select(Company)) is None


def test_the_edit_form_changes_the_vat_number(admin_client, make_company):
    company = make_company("Nordic Foods", status="lead")
    response = admin_client.post(f"/admin/company/edit/?id={company.id}",
                                 data=_form(vat_number="fr 40 303265045"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Company, company.id).vat_number == "FR40303265045"


def test_the_card_shows_the_vat_number_beside_the_legal_id(admin_client, make_company):
    company = make_company("Nordic Foods", legal_id="B12345674", vat_number="ESB12345674")
    html = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "B12345674" in html and "data-vat-number" in html and "ESB12345674" in html


def test_the_card_of_a_company_without_vat_number_shows_no_vat_line(admin_client, make_company):
    company = make_company("Nordic Foods")
    html = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "data-vat-number" not in html


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_issued_invoice_freezes_and_prints_the_buyers_vat_number(make_company,
                                                                     make_document):
    company = make_company("Nordic Foods", vat_number="ESB12345674")
    invoice = make_document("invoice", company, issue_date=date(2026, 4, 1),
                            due_date=date(2026, 5, 1))
    issue_invoice(invoice)
    db.session.commit()
    assert snapshots.snapshot_row(invoice).data["buyer"]["vat_number"] == "ESB12345674"
    company.vat_number = "ESA00000000"
    db.session.commit()
    text = _pdf_text(document_pdf(invoice))
    assert "ESB12345674" in text and "ESA00000000" not in text


def test_an_import_fills_the_vat_number_and_reports_a_bad_one(admin_user):
    content = csv_bytes([["Alpha SL", "es b12345674"], ["Beta SL", "12345"]],
                        headers=["Razón social", "NIF-IVA"])
    workspace, state = preview(content, admin_user)
    assert state["mapping"] == ["name", "vat_number"]
    found = lines(workspace)
    assert found[2]["set"]["company"]["vat_number"] == "ESB12345674"
    assert "is not a VAT number" in found[3]["err"]["NIF-IVA"]
    run_import(workspace, admin_user)
    assert db.session.scalar(select(Company.vat_number).where(Company.name == "Alpha SL")) \
        == "ESB12345674"


def test_a_merge_offers_the_vat_number_and_fills_an_empty_one(make_company, admin_user):
    kept = make_company("Acme Logistics")
    absorbed = make_company("ACME Logistics SARL", vat_number="FR40303265045")
    shown = {f["key"]: f for f in merge_preview(kept, absorbed)["fields"]}
    assert shown["vat_number"]["absorbed"] == "FR40303265045"
    assert shown["vat_number"]["default"] == "absorbed"
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert kept.vat_number == "FR40303265045"


def test_a_merge_keeps_the_kept_vat_number_unless_the_other_is_chosen(make_company, admin_user):
    kept = make_company("Acme Logistics", vat_number="ESB12345674")
    absorbed = make_company("ACME Logistics SARL", vat_number="FR40303265045")
    merge_companies(kept, absorbed, admin_user, {"vat_number": "absorbed"})
    db.session.commit()
    assert kept.vat_number == "FR40303265045"
