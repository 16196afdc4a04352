"""services/settings.py: typed values, one read per request, invalidated on save, and a stored
value that no longer parses falls back to its default with a warning instead of an error."""
import logging
import re
from decimal import Decimal

import pytest

from admin_app.extensions import db
from admin_app.models import AuditLog, Setting
from admin_app.services import settings
from admin_app.services.settings import (
    DEFINITIONS, SettingsRefused, all_settings, forget_cached, get_setting, save_settings,
    set_setting, upload_limit_bytes,
)
from tests.settings_support import SETTINGS_URL, section_values


def _store_raw(key: str, value) -> None:
    """Write a row as an older version or a hand edit could have, past every check."""
    db.session.merge(Setting(key=key, value=value))
    db.session.commit()
    forget_cached()


def test_defaults_come_typed():
    assert get_setting("payment_terms_days") == 30
    assert get_setting("default_tax_rate") == Decimal("20.00")
    assert get_setting("send_exchange_internally") is False
    assert get_setting("invoice_converts_lead_to") == "client"
    assert get_setting("currency") == "EUR" and get_setting("time_zone") == "Europe/Madrid"
    assert set(all_settings()) == set(DEFINITIONS)


def test_an_unknown_key_reads_as_none_and_cannot_be_set():
    assert get_setting("no_such_setting") is None
    with pytest.raises(KeyError):
        set_setting("no_such_setting", 1)


def test_a_request_reads_the_settings_table_once_however_many_settings_it_reads(
        app, count_queries):
    with app.test_request_context("/"):
        with count_queries() as statements:
            for _ in range(20):
                for key in DEFINITIONS:
                    get_setting(key)
        assert sum("FROM settings" in s for s in statements) == 1


def test_a_save_is_seen_by_the_next_read_of_the_same_request(app):
    with app.test_request_context("/"):
        assert get_setting("invoice_prefix") == "INV"
        set_setting("invoice_prefix", "fac")
        assert get_setting("invoice_prefix") == "FAC"
        db.session.rollback()


def test_a_new_request_does_not_see_the_previous_requests_cache(admin_client):
    admin_client.get(SETTINGS_URL)
    # Changed behind the application's back (another worker, a hand edit): the next request
    # must read it, not the values cached by the previous one.
    db.session.add(Setting(key="payment_terms_days", value=90))
    db.session.commit()
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert section_values(html, "commercial")["payment_terms_days"] == "90"


@pytest.mark.parametrize("key,raw", [
    ("payment_terms_days", "thirty"),
    ("payment_terms_days", 10_000),
    ("default_tax_rate", "lots"),
    ("send_exchange_internally", "yes"),
    ("invoice_converts_lead_to", "customer"),
    ("invoice_prefix", "IN V"),
    ("currency", "EURO"),
    ("time_zone", "Mars/Olympus_Mons"),
    ("allowed_file_types", {"pdf": True}),
    ("company_logo", "../../etc/passwd"),
    ("upload_limit_mb", 500),
    ("company_name", ["not", "text"]),
])
def test_a_stored_value_that_no_longer_parses_falls_back_to_its_default_with_a_warning(
        admin_client, caplog, key, raw):
    _store_raw(key, raw)
    with caplog.at_level(logging.WARNING, logger="admin_app.services.settings"):
        assert get_setting(key) == DEFINITIONS[key].default
    assert any(key in record.getMessage() and "no longer parses" in record.getMessage()
               for record in caplog.records)
    assert admin_client.get(SETTINGS_URL).status_code == 200


def test_the_page_and_invoicing_keep_working_on_a_broken_row(admin_client, make_company):
    _store_raw("payment_terms_days", "thirty")
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert section_values(html, "commercial")["payment_terms_days"] == "30"
    assert admin_client.get("/admin/invoice/new/").status_code == 200


def test_a_save_refuses_bad_values_all_together_and_writes_nothing():
    with pytest.raises(SettingsRefused) as refused:
        save_settings({"payment_terms_days": 10, "invoice_prefix": "BAD PREFIX",
                       "currency": "ZZZ"})
    assert set(refused.value.errors) == {"invoice_prefix", "currency"}
    db.session.rollback()
    assert db.session.scalars(db.select(Setting)).all() == []


def test_a_save_audits_each_changed_key_with_old_and_new_values():
    changes = save_settings({"payment_terms_days": 45, "currency": "EUR",
                             "default_tax_rate": "10"})
    db.session.commit()
    assert changes == {"payment_terms_days": [30, 45], "default_tax_rate": ["20.00", "10.00"]}
    entry = db.session.scalars(db.select(AuditLog)).one()
    assert entry.entity_type == "Setting" and entry.changes == changes
    assert "payment_terms_days" in entry.summary


def test_the_upload_limit_never_exceeds_the_servers_request_ceiling(app, monkeypatch):
    set_setting("upload_limit_mb", 9)
    assert upload_limit_bytes() == 9 * 1024 * 1024
    # The operator lowers MAX_CONTENT_LENGTH below the stored setting: the lower one wins.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    forget_cached()
    assert settings.hard_upload_limit_mb() == 4
    assert upload_limit_bytes() <= 4 * 1024 * 1024


def test_settings_read_outside_a_request_still_work(app):
    forget_cached()
    with app.app_context():
        assert get_setting("quote_prefix") == "QUO"


def test_every_definition_parses_its_own_default():
    for key, definition in DEFINITIONS.items():
        assert definition.parse(definition.stored(definition.default)) == definition.default, key


def test_setting_keys_are_the_contract_names():
    contract = {"invoice_converts_lead_to", "send_exchange_internally", "payment_terms_days",
                "currency", "invoice_prefix", "quote_prefix", "order_prefix",
                "credit_note_prefix", "upload_limit_mb", "portal_link_days", "time_zone",
                "company_name", "company_address", "company_legal_id", "company_vat_number",
                "company_email"}
    assert contract <= set(DEFINITIONS)
    assert all(re.fullmatch(r"[a-z_]+", key) for key in DEFINITIONS)
