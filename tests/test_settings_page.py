"""The advanced settings page: each section saves whole or not at all, with a message per field,
audit-logged; only admins reach it; it reads the settings table once."""
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from admin_app.extensions import db
from admin_app.models import AuditLog, Setting
from admin_app.services.settings import all_settings, forget_cached, get_setting, set_setting
from tests.settings_support import SETTINGS_URL, post_section, section_values


def _stored() -> dict:
    db.session.expire_all()
    return {row.key: row.value for row in db.session.scalars(db.select(Setting))}


def _audits() -> list[AuditLog]:
    return db.session.scalars(db.select(AuditLog).where(AuditLog.entity_type == "Setting")
                              .order_by(AuditLog.id)).all()


def _png(size=(300, 100), color=(10, 120, 200)) -> bytes:
    """A PNG of one colour; color=None gives a fully transparent one."""
    buffer = io.BytesIO()
    if color is None:
        Image.new("RGBA", size, (0, 0, 0, 0)).save(buffer, "PNG")
    else:
        Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


# --- happy paths --------------------------------------------------------------------------------

def test_page_shows_every_section_as_its_own_post_form_named_by_setting_keys(admin_client):
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    expected = {
        "commercial": {"invoice_converts_lead_to", "payment_terms_days", "default_tax_rate",
                       "invoice_prefix", "quote_prefix", "order_prefix", "credit_note_prefix",
                       "currency"},
        "exchanges": {"mail_sender_name", "mail_sender_email"},  # the checkbox is unticked
        "seller": {"company_name", "company_address", "company_legal_id", "company_vat_number",
                   "company_email", "company_iban", "company_footer"},
        "documents": {"upload_limit_mb", "portal_link_days", "allowed_file_types"},
        "regional": {"time_zone", "default_language"},
    }
    for section, keys in expected.items():
        assert keys <= set(section_values(html, section)), section
    assert html.count('<form method="post"') >= 5
    assert 'name="send_exchange_internally"' in html and 'name="company_logo"' in html
    values = section_values(html, "commercial")
    assert values["invoice_converts_lead_to"] == "client" and values["currency"] == "EUR"
    assert section_values(html, "regional")["time_zone"] == "Europe/Madrid"


def test_commercial_section_saves_every_field_and_audits_old_and_new(admin_client, admin_user):
    response = post_section(admin_client, "commercial", invoice_converts_lead_to="lead",
                            payment_terms_days="45", default_tax_rate="21,5",
                            invoice_prefix="fac", quote_prefix="PRE", order_prefix="PED",
                            credit_note_prefix="ABO", currency="USD")
    assert response.status_code == 302 and response.location.endswith("#commercial")
    forget_cached()
    settings = all_settings()
    assert settings["invoice_converts_lead_to"] == "lead"
    assert settings["payment_terms_days"] == 45
    assert settings["default_tax_rate"] == Decimal("21.50")
    assert (settings["invoice_prefix"], settings["quote_prefix"], settings["order_prefix"],
            settings["credit_note_prefix"]) == ("FAC", "PRE", "PED", "ABO")
    assert settings["currency"] == "USD"
    assert _stored()["default_tax_rate"] == "21.50"
    entry = _audits()[-1]
    assert entry.action == "update" and entry.user_id == admin_user.id
    assert entry.changes["payment_terms_days"] == [30, 45]
    assert entry.changes["invoice_prefix"] == ["INV", "FAC"]
    assert entry.changes["default_tax_rate"] == ["20.00", "21.50"]
    page = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert "Commercial settings saved" in page
    assert 'data-next-number="invoice"' in page and "FAC-" in page


def test_exchanges_section_ticks_and_unticks_the_checkbox(admin_client):
    assert post_section(admin_client, "exchanges", send_exchange_internally="y",
                        mail_sender_name="Ventas Acme",
                        mail_sender_email="ventas@example.com").status_code == 302
    forget_cached()
    assert get_setting("send_exchange_internally") is True
    assert get_setting("mail_sender_name") == "Ventas Acme"
    assert get_setting("mail_sender_email") == "ventas@example.com"
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert section_values(html, "exchanges")["send_exchange_internally"] == "y"
    assert post_section(admin_client, "exchanges",
                        send_exchange_internally=None).status_code == 302
    forget_cached()
    assert get_setting("send_exchange_internally") is False
    assert _audits()[-1].changes == {"send_exchange_internally": [True, False]}


def test_seller_section_saves_identity_and_a_reencoded_logo_outside_static(app, admin_client):
    jpeg = io.BytesIO()
    Image.new("RGB", (2400, 600), (200, 30, 30)).save(jpeg, "JPEG", comment=b"<script>")
    response = post_section(
        admin_client, "seller", content_type="multipart/form-data",
        company_name="Seller Services SL", company_address="Calle Mayor 1\n28001 Madrid",
        company_legal_id="B12345678", company_vat_number="ESB12345678",
        company_email="Billing@Example.com", company_iban="es91 2100 0418 4502 0005 1332",
        company_footer="Registro Mercantil de Madrid",
        company_logo=(io.BytesIO(jpeg.getvalue()), "logo.jpg"))
    assert response.status_code == 302
    forget_cached()
    settings = all_settings()
    assert settings["company_name"] == "Seller Services SL"
    assert settings["company_address"] == "Calle Mayor 1\n28001 Madrid"
    assert settings["company_email"] == "Billing@example.com"
    assert settings["company_iban"] == "ES9121000418450200051332"
    assert re.fullmatch(r"settings/logo-[0-9a-f]{32}\.png", settings["company_logo"])
    stored = Path(app.config["UPLOAD_DIR"]) / settings["company_logo"]
    with Image.open(stored) as logo:  # re-encoded: a PNG, resized, without the JPEG comment
        assert logo.format == "PNG" and logo.size == (1200, 300)
    assert b"<script>" not in stored.read_bytes()
    assert "static" not in stored.parts
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert "data-current-logo" in html and "ES91 2100 0418 4502 0005 1332" in html
    served = admin_client.get("/admin/settings/logo/")
    assert served.status_code == 200 and served.mimetype == "image/png"
    # A new logo replaces the file; removing it clears the setting and the file.
    assert post_section(admin_client, "seller", content_type="multipart/form-data",
                        company_logo=(io.BytesIO(_png()), "new.png")).status_code == 302
    forget_cached()
    assert not stored.exists()
    replaced = Path(app.config["UPLOAD_DIR"]) / get_setting("company_logo")
    assert replaced.exists()
    assert post_section(admin_client, "seller", content_type="multipart/form-data",
                        remove_logo="y").status_code == 302
    forget_cached()
    assert get_setting("company_logo") == "" and not replaced.exists()
    assert admin_client.get("/admin/settings/logo/").status_code == 404


def test_documents_section_saves_limits_and_file_types(admin_client):
    assert post_section(admin_client, "documents", upload_limit_mb="5", portal_link_days="7",
                        allowed_file_types=".PDF, docx  png,pdf").status_code == 302
    forget_cached()
    assert get_setting("upload_limit_mb") == 5 and get_setting("portal_link_days") == 7
    assert get_setting("allowed_file_types") == ["pdf", "docx", "png"]


def test_regional_section_saves_time_zone_and_language(admin_client):
    assert post_section(admin_client, "regional", time_zone="America/Mexico_City",
                        default_language="es").status_code == 302
    forget_cached()
    assert get_setting("time_zone") == "America/Mexico_City"
    assert get_setting("default_language") == "es"


def test_saving_unchanged_values_changes_and_audits_nothing(admin_client):
    assert post_section(admin_client, "commercial").status_code == 302
    assert _stored() == {} and _audits() == []
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert "Nothing changed in Commercial" in html


def test_a_field_left_out_of_the_post_keeps_its_value(admin_client):
    set_setting("payment_terms_days", 60)
    db.session.commit()
    response = admin_client.post(SETTINGS_URL, data={"section": "commercial",
                                                     "invoice_prefix": "FAC"})
    assert response.status_code == 302
    forget_cached()
    assert get_setting("invoice_prefix") == "FAC" and get_setting("payment_terms_days") == 60


# --- refusals -----------------------------------------------------------------------------------

REFUSALS = [
    # (section, field, bad value, words of the message shown beside the field)
    ("commercial", "payment_terms_days", "thirty", "Not a valid integer"),
    ("commercial", "payment_terms_days", "366", "from 0 to 365"),
    ("commercial", "payment_terms_days", "9" * 300, "from 0 to 365"),
    ("commercial", "default_tax_rate", "abc", "Not a valid decimal"),
    ("commercial", "default_tax_rate", "100.5", "from 0 to 100"),
    ("commercial", "default_tax_rate", "20.125", "At most two decimals"),
    ("commercial", "default_tax_rate", "NaN", "from 0 to 100"),
    ("commercial", "invoice_converts_lead_to", "maybe", "Not a valid choice"),
    ("commercial", "invoice_prefix", "IN V", "1 to 10 letters"),
    ("commercial", "invoice_prefix", "INV-", "1 to 10 letters"),
    ("commercial", "invoice_prefix", "", "This field is required"),
    ("commercial", "quote_prefix", "INV", "Another kind of document already uses this prefix"),
    ("commercial", "currency", "EURO", "Not a valid choice"),
    ("exchanges", "mail_sender_email", "not-an-address", "valid email address"),
    ("exchanges", "mail_sender_name", "Ventas\x00Acme", "control characters"),
    ("seller", "company_name", "", "This field is required"),
    ("seller", "company_legal_id", "B" * 300, "At most 50 characters"),
    ("seller", "company_vat_number", "=HYPERLINK(\"http://x\")" * 3, "At most 30 characters"),
    ("seller", "company_iban", "ES91 2100 0418 4502 0005 1333", "check digits are wrong"),
    ("seller", "company_iban", "12345", "Enter an IBAN"),
    ("seller", "company_email", "billing@", "valid email address"),
    ("documents", "upload_limit_mb", "0", "from 1 to 10"),
    ("documents", "upload_limit_mb", "11", "from 1 to 10"),
    ("documents", "portal_link_days", "-3", "from 1 to 365"),
    ("documents", "allowed_file_types", "pdf, ../exe", "is not a file extension"),
    ("documents", "allowed_file_types", " , ", "Allow at least one file type"),
    ("regional", "time_zone", "Mars/Olympus_Mons", "Not a valid choice"),
    ("regional", "default_language", "de", "Not a valid choice"),
]


@pytest.mark.parametrize("section,field,value,message", REFUSALS,
                         ids=[f"{r[1]}={r[2][:12]!r}" for r in REFUSALS])
def test_an_invalid_field_is_refused_with_its_message_and_nothing_of_the_section_is_saved(
        admin_client, section, field, value, message):
    # A valid change in another field of the same section must not be saved either.
    valid_change = {"commercial": {"payment_terms_days": "45"},
                    "exchanges": {"mail_sender_name": "Ventas"},
                    "seller": {"company_address": "Calle Mayor 1"},
                    "documents": {"portal_link_days": "9"},
                    "regional": {"default_language": "fr"}}[section]
    changes = {**valid_change, field: value}
    if field in valid_change:
        changes = {field: value}
    content_type = "multipart/form-data" if section == "seller" else None
    response = post_section(admin_client, section, content_type=content_type, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved" in html
    errors = re.findall(rf'data-error-for="{field}">([^<]*)<', html)
    assert errors and message in " ".join(errors), errors
    assert _stored() == {} and _audits() == []


def test_every_invalid_field_of_a_section_gets_its_own_message(admin_client):
    response = post_section(admin_client, "commercial", payment_terms_days="-1",
                            default_tax_rate="500", order_prefix="O R D")
    html = response.get_data(as_text=True)
    for field in ("payment_terms_days", "default_tax_rate", "order_prefix"):
        assert f'data-error-for="{field}"' in html, field
    assert _stored() == {}


@pytest.mark.parametrize("payload,name,message", [
    (b"<?php system($_GET['c']); ?>", "logo.png", "not a readable image"),
    (b"", "empty.png", "empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2 * 1024 * 1024, "huge.png", "larger than 1 MB"),
], ids=["a-script-named-png", "empty", "over-1-MB"])
def test_a_logo_that_is_not_a_small_image_is_refused_and_nothing_is_saved(
        app, admin_client, payload, name, message):
    before = set(Path(app.config["UPLOAD_DIR"]).rglob("*"))
    response = post_section(admin_client, "seller", content_type="multipart/form-data",
                            company_name="Changed SL", company_logo=(io.BytesIO(payload), name))
    html = response.get_data(as_text=True)
    errors = " ".join(re.findall(r'data-error-for="company_logo">([^<]*)<', html))
    assert message in errors
    assert _stored() == {} and set(Path(app.config["UPLOAD_DIR"]).rglob("*")) == before


def test_a_bmp_logo_is_refused_by_format(admin_client):
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")
    response = post_section(admin_client, "seller", content_type="multipart/form-data",
                            company_logo=(io.BytesIO(bmp.getvalue()), "logo.png"))
    assert "must be a PNG, JPEG, GIF or WebP" in response.get_data(as_text=True)
    assert _stored() == {}


def test_a_post_without_a_known_section_is_a_bad_request(admin_client):
    assert admin_client.post(SETTINGS_URL, data={"section": "nope"}).status_code == 400
    assert admin_client.post(SETTINGS_URL, data={"not_a_setting": "1"}).status_code == 400


def test_a_post_without_the_csrf_token_is_refused(admin_client):
    response = admin_client.post(SETTINGS_URL, data={"section": "commercial",
                                                     "payment_terms_days": "1"}, csrf=False)
    assert response.status_code == 400
    assert _stored() == {}


# --- access -------------------------------------------------------------------------------------

def _settings_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(SETTINGS_URL)]


def test_a_user_is_refused_on_every_settings_endpoint(app, user_client):
    rules = _settings_rules(app)
    assert len(rules) >= 2
    for rule in rules:
        if "GET" in rule.methods:
            assert user_client.get(rule.rule).status_code == 403, rule.rule
    for section in ("commercial", "exchanges", "seller", "documents", "regional"):
        response = user_client.post(SETTINGS_URL, data={"section": section,
                                                        "payment_terms_days": "1",
                                                        "company_name": "Hijacked"})
        assert response.status_code == 403, section
    assert _stored() == {}


def test_anonymous_visitors_are_sent_to_the_login(app, client):
    for rule in _settings_rules(app):
        response = client.get(rule.rule)
        assert response.status_code == 302 and "/login" in response.location
    assert client.post(SETTINGS_URL, data={"section": "commercial"}).status_code == 302
    assert _stored() == {}


def test_the_menu_shows_settings_to_admins_only(admin_client, user_client):
    assert SETTINGS_URL in admin_client.get("/admin/").get_data(as_text=True)
    assert SETTINGS_URL not in user_client.get("/admin/").get_data(as_text=True)


# --- reading ------------------------------------------------------------------------------------

def _settings_reads(statements: list[str]) -> int:
    return sum(1 for s in statements if re.search(r"\bFROM settings\b", s, re.IGNORECASE))


def test_the_page_reads_the_settings_table_once_in_a_constant_number_of_queries(
        admin_client, count_queries):
    admin_client.get(SETTINGS_URL)  # warm-up: login, first-request work
    db.session.commit()  # the test shares the requests' session: start both counts cold
    with count_queries() as empty:
        assert admin_client.get(SETTINGS_URL).status_code == 200
    for key, value in {"payment_terms_days": 45, "invoice_prefix": "FAC", "currency": "USD",
                       "company_name": "Seller SL", "company_iban": "ES9121000418450200051332",
                       "upload_limit_mb": 5, "time_zone": "Europe/Paris",
                       "send_exchange_internally": True}.items():
        set_setting(key, value)
    db.session.commit()
    with count_queries() as full:
        assert admin_client.get(SETTINGS_URL).status_code == 200
    assert _settings_reads(empty) == 1 and _settings_reads(full) == 1
    assert len(full) == len(empty)


def test_a_logo_with_too_many_pixels_is_refused_before_it_is_decoded(app, admin_client):
    bomb = io.BytesIO()
    Image.new("1", (6000, 6000)).save(bomb, "PNG")  # a few KB on disk, 36 million pixels
    assert len(bomb.getvalue()) < 1024 * 1024
    response = post_section(admin_client, "seller", content_type="multipart/form-data",
                            company_logo=(io.BytesIO(bomb.getvalue()), "bomb.png"))
    assert "too many pixels" in response.get_data(as_text=True)
    assert _stored() == {}


def test_a_transparent_logo_keeps_its_transparency(app, admin_client):
    response = post_section(admin_client, "seller", content_type="multipart/form-data",
                            company_logo=(io.BytesIO(_png(size=(50, 50), color=None)),
                                          "clear.png"))
    assert response.status_code == 302
    forget_cached()
    with Image.open(Path(app.config["UPLOAD_DIR"]) / get_setting("company_logo")) as logo:
        assert logo.mode == "RGBA"
