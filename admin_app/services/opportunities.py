"""Opportunities and the pipeline stages they move through."""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Opportunity, PipelineStage
from .sales import SalesError


def save_opportunity(opportunity: Opportunity, today: date | None = None) -> None:
    """An opportunity on a live company; its probability defaults to its stage's, and it
    carries the date it was won or lost (none while open)."""
    if opportunity.company is not None and opportunity.company.is_tombstone:
        raise SalesError(_("%(name)s was merged into another company: choose the kept one.",
                           name=opportunity.company.name))
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
