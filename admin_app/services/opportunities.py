"""Opportunities and the pipeline stages they move through."""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Opportunity, PipelineStage
from .sales import SalesError


def save_opportunity(opportunity: Opportunity, today: date | None = None) -> None:
    """Its probability defaults to its stage's, and it carries the date it was won or lost
    (none while open). A merged-away company is refused for every row (services.companies)."""
    if opportunity.probability is None and opportunity.stage is not None:
        opportunity.probability = opportunity.stage.probability
    if opportunity.status == "open":
        opportunity.closed_on = None
    elif opportunity.closed_on is None:
        opportunity.closed_on = today or clock.today()


def delete_stage(stage: PipelineStage) -> None:
    """A stage goes only when no opportunity is in it."""
    used = db.session.scalar(select(func.count()).where(Opportunity.stage_id == stage.id))
    if used:
        raise SalesError(_("Stage “%(name)s” holds %(count)s opportunities: move them to another "
                           "stage before deleting it.", name=stage.name, count=used))
    db.session.delete(stage)
