"""Opportunities and the pipeline stages they move through."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import Opportunity, PipelineStage
from ..models.base import compound_part
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


def open_clause():
    """Open opportunities, as ix_opportunities_open_stage's condition: a literal, so SQLite
    and PostgreSQL's generic plans can prove the partial index applies."""
    return Opportunity.status == literal_column("'open'")


def stage_cards(stage_ids: list[int | None], owner_id: int | None,
                limit: int) -> dict[int | None, list[Opportunity]]:
    """The first open opportunities of each stage on the board (None: no stage): the soonest
    expected to close, those without a date last, then by id. One statement for every stage;
    each stage's dated and undated ones are read from ix_opportunities_open_stage in index
    order (migration 0022), not sorted from all of them."""
    parts = []
    for stage_id in stage_ids:
        conditions = [open_clause(), Opportunity.stage_id.is_(None) if stage_id is None
                      else Opportunity.stage_id == stage_id]
        if owner_id:
            conditions.append(Opportunity.owner_id == owner_id)
        for dated in (True, False):
            part = select(Opportunity.id).where(
                *conditions, Opportunity.expected_close_on.is_not(None) if dated
                else Opportunity.expected_close_on.is_(None))
            order = (Opportunity.expected_close_on, Opportunity.id) if dated else (Opportunity.id,)
            parts.append(compound_part(part.order_by(*order).limit(limit)))
    cards: dict[int | None, list[Opportunity]] = {stage_id: [] for stage_id in stage_ids}
    if not parts:
        return cards
    found = db.session.scalars(
        select(Opportunity).options(joinedload(Opportunity.company), joinedload(Opportunity.owner))
        .where(Opportunity.id.in_(select(union_all(*parts).subquery().c.id))))
    for opportunity in sorted(found, key=lambda o: (o.expected_close_on is None,
                                                    o.expected_close_on or date.min, o.id)):
        cards[opportunity.stage_id].append(opportunity)
    return {stage_id: shown[:limit] for stage_id, shown in cards.items()}


@dataclass
class StageTotal:
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")  # each amount times its probability (the stage's if unset)


def stage_totals(owner_id: int | None = None) -> dict[int | None, StageTotal]:
    """The open opportunities' count, amount and weighted amount per stage (None: no stage).

    Read from ix_opportunities_open_stage alone. The weighted sum is of amount × percent, cut
    by 100 once per stage here: a division per opportunity was most of the statement's time."""
    percent = func.coalesce(Opportunity.probability, PipelineStage.probability, 0)
    query = (select(Opportunity.stage_id, func.count(),
                    func.coalesce(func.sum(Opportunity.amount), 0),
                    func.coalesce(func.sum(Opportunity.amount * percent), 0))
             .outerjoin(PipelineStage, PipelineStage.id == Opportunity.stage_id)
             .where(open_clause()).group_by(Opportunity.stage_id))
    if owner_id:
        query = query.where(Opportunity.owner_id == owner_id)
    return {stage_id: StageTotal(count, Decimal(str(amount)), Decimal(str(weighted)) / 100)
            for stage_id, count, amount, weighted in db.session.execute(query)}
