"""The card, the lists, the forms, the dashboard and the merge preview speak Spanish and French
from top to bottom: no English word of the interface is left."""
from datetime import datetime

import pytest

from admin_app.extensions import db
from admin_app.models import Address, Contact, Exchange, Opportunity, PipelineStage
from tests.card_support import card_url
from tests.language_support import context_of, english_words

# Names in the test data, which are nobody's translation.
DATA = ("Zeta Alfa", "Zeta Beta", "Calle Sol 1", "Ana Ruiz", "ana@zeta.example", "Llamada 1",
        "Proyecto 1", "Proyecto 2", "Etapa 1", "Back office de clientes", "Back-office clients")


@pytest.fixture
def filled(admin_user, make_company, make_invoice):
    kept = make_company(name="Zeta Alfa", status="client", phone="+34 600 000 000")
    absorbed = make_company(name="Zeta Beta", status="lead")
    stage = PipelineStage(name="Etapa 1", probability=50, position=1)
    db.session.add_all([
        Address(company=kept, label="Sede", line1="Calle Sol 1", city="Madrid", country="ES",
                is_main=True, is_billing_default=True),
        Contact(company=kept, first_name="Ana", last_name="Ruiz", email="ana@zeta.example",
                is_billing_contact=True),
        Exchange(company=kept, kind="call", title="Llamada 1", author=admin_user,
                 occurred_at=datetime(2026, 5, 1, 10, 0)),
        stage,
        Opportunity(company=kept, title="Proyecto 1", amount=1000, stage=stage, status="open"),
        Opportunity(company=kept, title="Proyecto 2", amount=500, status="open"),  # no stage
    ])
    db.session.commit()
    invoice = make_invoice(kept)
    return kept, absorbed, invoice


def _pages(kept, absorbed, invoice):
    return {
        "my account": "/admin/account/",
        "invoice details": f"/admin/invoice/details/?id={invoice.id}",
        "credit note form": f"/admin/creditnote/credit/?invoice_id={invoice.id}",
        "credit note list": "/admin/creditnote/",
        "verify a signed file": "/admin/signatures/verify/",
        "card": card_url(kept.id),
        "dashboard": "/admin/",
        "company list": "/admin/company/",
        "contact list": "/admin/contact/",
        "invoice list": "/admin/invoice/",
        "exchange list": "/admin/exchange/",
        "company form": f"/admin/company/edit/?id={kept.id}",
        "new company form": "/admin/company/new/",
        "card contact form": f"/admin/company/card/contact/?id={kept.id}",
        "card address form": f"/admin/company/card/address/?id={kept.id}",
        "card exchange form": f"/admin/company/card/exchange/?id={kept.id}",
        "merge preview": f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}",
        "sales history": f"/admin/sales-history/?company_id={kept.id}",
        "pipeline board": "/admin/pipeline/",
        "outbox": "/admin/outbox/",
    }


@pytest.mark.parametrize("language", ["es", "fr"])
def test_main_pages_have_no_english_word_left(admin_client, filled, language):
    admin_client.get(f"/admin/?lang={language}")
    left = {}
    for page, url in _pages(*filled).items():
        response = admin_client.get(url)
        assert response.status_code == 200, (page, response.status_code)
        words = english_words(response.get_data(as_text=True), allowed=DATA)
        if words:
            left[page] = words if False else context_of(response.get_data(as_text=True), words, allowed=DATA)
    assert not left, "\n".join(f"{page}: {where}" for page, where in left.items())


def test_the_check_finds_english_on_an_english_page(admin_client, filled):
    """The word list is not empty of meaning: the same card in English is full of it."""
    kept = filled[0]
    html = admin_client.get(card_url(kept.id) + "&lang=en").get_data(as_text=True)
    assert {"Exchanges", "Modify", "Revenue"} <= set(english_words(html, allowed=DATA))


@pytest.mark.parametrize("language, create, listing, add_filter", [
    ("es", "Crear", "Lista", "Añadir filtro"),
    ("fr", "Créer", "Liste", "Ajouter un filtre"),
])
def test_flask_admins_own_words_come_from_its_catalogue(admin_client, language, create, listing,
                                                        add_filter):
    html = admin_client.get(f"/admin/company/?lang={language}").get_data(as_text=True)
    assert create in html and listing in html and add_filter in html


@pytest.mark.parametrize("language, scanned, reason", [
    ("es", "empresas analizadas", "Mismo dominio de correo: orbit.example"),
    ("fr", "entreprises analysées", "Même domaine d’e-mail : orbit.example"),
])
def test_the_duplicates_page_speaks_the_language_in_whole_sentences(admin_client, make_company,
                                                                      language, scanned, reason):
    for name in ("Kestrel Media", "Kestrel Media SL", "KESTREL MEDIA SA"):
        make_company(name)
    make_company("Orbit Foods", email="a@orbit.example")
    make_company("Quasar Dairy", email="b@orbit.example")
    admin_client.get(f"/admin/?lang={language}")
    fresh = admin_client.get("/admin/duplicates/").get_data(as_text=True)
    cached = admin_client.get("/admin/duplicates/").get_data(as_text=True)
    # "Actions" is French too.
    names = DATA + ("Kestrel Media", "KESTREL MEDIA", "Orbit Foods", "Quasar Dairy") + (
        ("Actions",) if language == "fr" else ())
    assert 'data-section="duplicate-groups"' in fresh and 'data-reason="email_domain"' in fresh
    assert scanned in fresh and reason in fresh
    assert 'data-scan-freshness="cached"' in cached
    for page in (fresh, cached):
        assert not english_words(page, allowed=names), context_of(
            page, english_words(page, allowed=names), allowed=names)


@pytest.mark.parametrize("language, where, problem", [
    ("es", "Línea 2", "contact no tiene ninguna variable 'nickname'"),
    ("fr", "Ligne 2", "contact n’a pas de variable 'nickname'"),
])
def test_a_template_preview_error_is_told_in_the_language(admin_client, make_company, language,
                                                          where, problem):
    company = make_company("Zeta Alfa")
    admin_client.get(f"/admin/?lang={language}")
    response = admin_client.post("/admin/templates/preview/", data={
        "kind": "email", "purpose": "exchange", "subject": "Hola", "company_id": company.id,
        "body": "Hola\n{{ contact.nickname }}", "contact_id": ""})
    error = response.get_json()["error"]
    assert response.status_code == 422 and where in error and problem in error, error
    assert not english_words(error)
    limit = admin_client.post("/admin/templates/preview/", data={
        "kind": "email", "purpose": "exchange", "subject": "{{ range(10**6)|length }}",
        "company_id": company.id, "body": "x", "contact_id": ""}).get_json()["error"]
    assert "range()" in limit and "range() is limited" not in limit, limit


@pytest.mark.parametrize("language, missing, no_credit_note", [
    ("es", "Página no encontrada", "Aún no hay facturas rectificativas."),
    ("fr", "Page introuvable", "Aucun avoir pour l’instant."),
])
def test_a_missing_page_and_an_empty_list_say_what_to_do_in_the_language(
        admin_client, language, missing, no_credit_note):
    admin_client.get(f"/admin/?lang={language}")
    response = admin_client.get("/admin/no-such-page/")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and missing in page and 'data-action="home"' in page
    assert not english_words(page, allowed=DATA + ("Page introuvable",))  # "Page" is French too
    listing = admin_client.get("/admin/creditnote/").get_data(as_text=True)
    assert no_credit_note in listing and not english_words(listing, allowed=DATA)
