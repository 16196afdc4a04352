"""The admin home: the user's own clients and call-backs, and counts of what the office holds."""
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Company
from ..services.office_counts import office_counts
from ..services.reminders import SNOOZES, open_reminders
from .base import SecureIndexView


class DashboardView(SecureIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/dashboard.html", **dashboard_data(current_user.id))


def dashboard_data(user_id: int, limit: int = 20) -> dict:
    """What the dashboard shows, in a fixed number of queries: the office-wide counts from
    their running tallies (services/office_counts.py), not from the rows they count."""
    live = Company.merged_into_id.is_(None)
    my_clients = db.session.scalars(
        select(Company).where(live, Company.account_manager_id == user_id)
        .order_by(Company.name).limit(limit)
    ).all()
    my_count = db.session.scalar(
        select(func.count()).select_from(Company).where(live, Company.account_manager_id == user_id)
    )
    office = office_counts()
    return {
        "clients_count": office.clients,
        "leads_count": office.leads,
        "my_clients": my_clients,
        "my_clients_count": my_count,
        "reminders": open_reminders(user_id, limit),
        "snoozes": SNOOZES,
        "open_quotes": office.open_quotes,
        "open_opportunities": office.open_opportunities,
        "overdue_invoices": office.overdue_invoices,
    }
