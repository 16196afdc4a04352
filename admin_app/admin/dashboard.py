"""The admin home: the user's own clients and call-backs, and counts of what the office holds."""
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Company, Invoice, Opportunity, Quote
from ..services.figures import unsettled
from ..services.reminders import SNOOZES, open_reminders
from .base import SecureIndexView


class DashboardView(SecureIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/dashboard.html", **dashboard_data(current_user.id))


def dashboard_data(user_id: int, limit: int = 20) -> dict:
    """What the dashboard shows, in a fixed number of queries."""
    live = Company.merged_into_id.is_(None)
    counts = dict(db.session.execute(
        select(Company.status, func.count()).where(live).group_by(Company.status)
    ).all())
    my_clients = db.session.scalars(
        select(Company).where(live, Company.account_manager_id == user_id)
        .order_by(Company.name).limit(limit)
    ).all()
    my_count = db.session.scalar(
        select(func.count()).select_from(Company).where(live, Company.account_manager_id == user_id)
    )
    open_quotes = db.session.scalar(
        select(func.count()).select_from(Quote).where(Quote.status.in_(("draft", "sent")))
    )
    open_opportunities = db.session.scalar(
        select(func.count()).select_from(Opportunity).where(Opportunity.status == "open")
    )
    # Overdue invoices are unsettled ones: counted from that index, not from every invoice.
    overdue = db.session.scalar(
        select(func.count()).select_from(Invoice).where(unsettled(), Invoice.is_overdue)
    )
    return {
        "clients_count": counts.get("client", 0),
        "leads_count": counts.get("lead", 0),
        "my_clients": my_clients,
        "my_clients_count": my_count,
        "reminders": open_reminders(user_id, limit),
        "snoozes": SNOOZES,
        "open_quotes": open_quotes,
        "open_opportunities": open_opportunities,
        "overdue_invoices": overdue,
    }
