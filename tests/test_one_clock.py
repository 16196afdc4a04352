"""One clock: "today" and "overdue" are the organisation's (Settings > time zone), whatever
the server's own zone, on the dashboard, the card, the invoice list and the sales history."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from admin_app import clock
from admin_app.admin.dashboard import dashboard_data
from admin_app.services.card_money import company_kpis
from admin_app.services.sales_history import history_page
from admin_app.services.settings import set_setting
from tests.card_support import card_url, kpi_values
from tests.conftest import login

DUE = date(2026, 3, 10)
MADRID = ZoneInfo("Europe/Madrid")
# The server's own zone is made to disagree with the organisation's: Los Angeles is still on
# the 10th when Madrid is past midnight, Tokyo is already on the 11th at 23:30 in Madrid.
LOS_ANGELES, TOKYO = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")


def _screens(client, company_id: int, invoice) -> dict[str, bool]:
    """Whether each screen shows the invoice as overdue."""
    response = client.get(card_url(company_id))
    assert response.status_code == 200, response.headers.get("Location")
    card = response.get_data(as_text=True)
    listing = client.get("/admin/invoice/").get_data(as_text=True)
    return {
        "dashboard": dashboard_data(0)["overdue_invoices"] == 1,
        "card": kpi_values(card)["unpaid-count"] == "1",
        "kpis": company_kpis(company_id).unpaid_count == 1,
        "list": 'data-overdue="1"' in listing,
        "history": history_page(company_id, "invoice").rows[0].overdue,
        "model": invoice.is_overdue,
    }


@pytest.fixture
def unpaid(make_company, make_invoice):
    company = make_company("Midnight SL")
    return make_invoice(company, issue_date=date(2026, 2, 8), due_date=DUE)


@pytest.mark.parametrize("madrid_time, server_zone, overdue", [
    ((2026, 3, 10, 23, 30), TOKYO, False),  # still the 10th in Madrid: due today, not late
    ((2026, 3, 11, 0, 30), LOS_ANGELES, True),  # the 11th in Madrid: one day late
])
def test_dashboard_card_list_and_history_agree_around_midnight(
        client, admin_user, unpaid, madrid_time, server_zone, overdue):
    moment = datetime(*madrid_time, tzinfo=MADRID)
    # time-machine sets the process's local zone (TZ) to the destination's zone.
    with time_machine.travel(moment.astimezone(server_zone), tick=False):
        assert date.today() != moment.date()  # the server's date says the opposite
        assert clock.today() == moment.date()
        login(client, admin_user.email)  # a session signed at the travelled time
        seen = _screens(client, unpaid.company_id, unpaid)
    assert seen == dict.fromkeys(seen, overdue)


def test_today_follows_the_time_zone_setting(app):
    set_setting("time_zone", "Pacific/Auckland")
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert clock.today() == date(2026, 3, 11)  # Auckland is 13 hours ahead
        set_setting("time_zone", "America/Los_Angeles")
        assert clock.today() == date(2026, 3, 10)
