"""Money and dates read as the user's language writes them; machine-readable values stay plain."""
import io
from datetime import date, datetime
from decimal import Decimal

import pypdf
import pytest
from flask_babel import force_locale

from admin_app.extensions import db
from admin_app.formats import date as format_date
from admin_app.formats import datetime as format_datetime
from admin_app.formats import input_number, money, number, parse_number, wall_datetime
from admin_app.services.settings import set_setting
from tests.card_support import card_url, days, kpi_values

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize("locale, amount, shown", [
    ("en", "1234.5", "€1,234.50"),
    ("es", "1234.5", f"1.234,50{NBSP}€"),
    ("fr", "1234.5", f"1{NNBSP}234,50{NBSP}€"),
    ("en", "-70", "-€70.00"),
    ("es", "0.10", f"0,10{NBSP}€"),
])
def test_money_is_written_in_the_users_locale(app, locale, amount, shown):
    with force_locale(locale):
        assert money(Decimal(amount)) == shown


@pytest.mark.parametrize("locale, day, moment, delay", [
    ("en", "May 1, 2026", f"May 1, 2026, 9:05{NNBSP}AM", "12.5"),
    ("es", "1 may 2026", "1 may 2026, 9:05", "12,5"),
    ("fr", "1 mai 2026", "1 mai 2026, 09:05", "12,5"),
])
def test_dates_and_numbers_are_written_in_the_users_locale(app, locale, day, moment, delay):
    set_setting("time_zone", "UTC")
    db.session.commit()
    with force_locale(locale):
        assert format_date(date(2026, 5, 1)) == day
        assert format_datetime(datetime(2026, 5, 1, 9, 5, 59)) == moment
        assert number(Decimal("12.5")) == delay


def test_money_takes_the_currency_of_the_settings_unless_told(app):
    set_setting("currency", "USD")
    db.session.commit()
    with force_locale("en"):
        assert money(Decimal("1234.5")) == "$1,234.50"
        assert money(Decimal("1234.5"), "GBP") == "£1,234.50"


def test_nothing_to_format_shows_a_dash(app):
    assert money(None) == format_date(None) == format_datetime(None) == number(None) == "—"


def test_card_shows_amounts_in_spanish_and_keeps_plain_data_values(admin_client, make_company,
                                                                   make_invoice):
    company = make_company()
    make_invoice(company, [("1", "1234.50", "0")], issue_date=days(-40), due_date=days(-10))
    html = admin_client.get(card_url(company.id), headers={"Accept-Language": "es"}
                            ).get_data(as_text=True)
    assert kpi_values(html)["unpaid-amount"] == "1234.50"
    assert f"1.234,50{NBSP}€" in html and "1,234.50" not in html
    assert 'data-balance="1234.50"' in html



@pytest.mark.parametrize("language, shown",
                         [("en", "1,200"), ("es", "1.200"), ("fr", "1\u202f200")])
def test_card_counts_are_grouped_as_the_language_writes_numbers(admin_client, make_company,
                                                               language, shown):
    from sqlalchemy import insert

    from admin_app.models import Exchange
    from admin_app.services import figures
    company = make_company()
    db.session.execute(insert(Exchange), [
        {"company_id": company.id, "kind": "call", "title": f"Call {n}",
         "occurred_at": datetime(2026, 5, 1, 9, 0), "send_invitation": False}
        for n in range(1200)])
    figures.refresh(company_ids=[company.id])  # a bulk insert, past the session hooks
    db.session.commit()
    html = admin_client.get(card_url(company.id) + f"&lang={language}").get_data(as_text=True)
    assert f'<span class="badge badge-light">{shown}</span>' in html  # the exchanges' total
    assert f'<span class="text-muted">{shown}</span>' in html  # the calls in the filter

def test_lists_show_currency_and_csv_exports_plain_numbers(admin_client, make_company,
                                                           make_invoice):
    make_invoice(make_company(), [("1", "1234.50", "0")], payments=[("0.50", days(-1))])
    listing = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert "€1,234.50" in listing and 'data-balance="1234.00"' in listing
    csv = admin_client.get("/admin/invoice/export/csv/").get_data(as_text=True)
    row = csv.splitlines()[1]
    assert "1234.50" in row and "1234.00" in row and "€" not in row and "1,234" not in row
    payments = admin_client.get("/admin/payment/export/csv/").get_data(as_text=True)
    assert "0.50" in payments.splitlines()[1] and "€" not in payments


def test_invoice_pdf_follows_the_readers_language(admin_client, make_company, make_invoice):
    invoice = make_invoice(make_company(), [("1", "1234.50", "0")], issue_date=date(2026, 4, 1),
                           due_date=date(2026, 5, 1))
    pdf = admin_client.get(f"/admin/invoice/pdf/?id={invoice.id}",
                           headers={"Accept-Language": "fr"}).data
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "1 mai 2026" in text and "234,50" in text and "€" in text


def test_date_times_are_shown_in_the_organisations_zone_and_wall_clock_times_as_entered(app):
    set_setting("time_zone", "Europe/Madrid")
    db.session.commit()
    with force_locale("es"):
        # Stored in UTC; Madrid is two hours ahead in May.
        assert format_datetime(datetime(2026, 5, 1, 9, 5)) == "1 may 2026, 11:05"
        assert wall_datetime(datetime(2026, 5, 1, 9, 5)) == "1 may 2026, 9:05"
        # A date-time near midnight UTC falls on the next day in Madrid.
        assert format_date(datetime(2026, 5, 1, 23, 30)) == "2 may 2026"



def test_remembered_texts_are_what_babel_writes_for_each_language_zone_and_sign(app):
    """Amounts and dates are formatted once per value and kept; what comes back from the
    store must still be what Babel writes for this reader: language, zone, sign and offset
    are part of what is kept."""
    from datetime import timedelta, timezone

    from flask_babel import format_currency, refresh
    from flask_babel import format_date as babel_date

    shown = {}
    for zone in ("UTC", "Europe/Madrid", "America/New_York"):
        set_setting("time_zone", zone)
        db.session.commit()
        refresh()  # as the next request would: the zone is read once per request
        for locale in ("en", "es", "fr"):
            with force_locale(locale):
                for _ in range(2):  # the second time from the store
                    for amount in (Decimal("0.00"), Decimal("-0.00"), Decimal("1234.5"),
                                   Decimal("1234.50"), 1234, Decimal("-70")):
                        assert money(amount, "USD") == format_currency(amount, "USD")
                    late = datetime(2026, 5, 1, 23, 30)
                    assert format_date(late) == babel_date(late, "medium")
                    shown[zone, locale] = (format_date(late), format_datetime(late),
                                           wall_datetime(late))
                # One instant written in two zones: equal values, different wall clocks.
                utc = datetime(2026, 5, 1, 9, 5, tzinfo=timezone.utc)
                east = utc.astimezone(timezone(timedelta(hours=3)))
                assert utc == east and wall_datetime(utc) != wall_datetime(east)
    assert shown["UTC", "es"][0] == "1 may 2026" and shown["Europe/Madrid", "es"][0] == "2 may 2026"
    assert shown["UTC", "en"][2] == shown["Europe/Madrid", "en"][2]  # a wall clock stays put
    assert len({shown[z, "fr"][1] for z in ("UTC", "Europe/Madrid", "America/New_York")}) == 3

@pytest.mark.parametrize("locale, typed, value", [
    ("es", "1.234,50", "1234.50"),
    ("es", "1234,5", "1234.5"),
    ("es", "120.50", "120.50"),  # a plain figure is read as one in every language
    ("fr", "1 234,50", "1234.50"),
    ("fr", f"1{NNBSP}234,50", "1234.50"),
    ("fr", f"1{NBSP}234,50", "1234.50"),
    ("en", "1,234.50", "1234.50"),
    ("en", "-70", "-70"),
])
def test_numbers_typed_in_the_users_locale_are_read(app, locale, typed, value):
    with force_locale(locale):
        assert parse_number(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["", "abc", "1,2,3,4.5.6", "NaN", "Infinity", "1" * 50, "1e5x"])
def test_text_that_is_not_a_number_is_refused(app, typed):
    with force_locale("es"), pytest.raises(ValueError):
        parse_number(typed)


@pytest.mark.parametrize("locale, shown", [("en", "1234.50"), ("es", "1234,50"), ("fr", "1234,50")])
def test_inputs_show_numbers_with_the_locales_decimal_mark(app, locale, shown):
    with force_locale(locale):
        assert input_number(Decimal("1234.50")) == shown


def test_payment_typed_with_a_spanish_decimal_comma_is_recorded(admin_client, make_company,
                                                                make_invoice):
    invoice = make_invoice(make_company(), lines=(("1", "2000.00", "0"),))
    admin_client.get("/admin/?lang=es")
    admin_client.post("/admin/invoice/pay/", data={
        "id": invoice.id, "amount": "1.234,50", "paid_on": "2026-05-01", "method": "transfer"})
    db.session.refresh(invoice)
    assert [p.amount for p in invoice.payments] == [Decimal("1234.50")]


def test_admin_form_reads_a_french_amount(admin_client, make_company):
    from admin_app.models import Opportunity, PipelineStage
    stage = PipelineStage(name="Qualified", probability=50, position=1)
    company = make_company()
    db.session.add(stage)
    db.session.commit()
    admin_client.get("/admin/?lang=fr")
    admin_client.post("/admin/opportunity/new/", data={
        "company": company.id, "title": "Big deal", "amount": "12 345,60", "stage": stage.id,
        "status": "open"})
    assert db.session.query(Opportunity.amount).scalar() == Decimal("12345.60")


def test_templates_follow_a_forced_language_and_return_to_the_request_one(app):
    # Templates remember the request's translations (template_i18n); a mail rendered in its
    # reader's language, in the middle of a request, must still get that language.
    from flask import render_template_string
    page = "{{ _('Invoice') }}"
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        with force_locale("es"):
            assert render_template_string(page) == "Factura"
            with force_locale("fr"):
                assert render_template_string(page) == "Facture"
            assert render_template_string(page) == "Factura"
        with force_locale("en"):
            assert render_template_string(page) == "Invoice"
