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
from .office_counts import pipeline_sums
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
    """The open opportunities' count, amount and weighted amount per stage (None: no stage),
    from the running tallies (services/office_counts.py), not from the opportunities: the
    weighted amount is Σ amount × own probability, plus Σ amount × the stage's probability
    over those without their own, applied here so that changing a stage's needs no write."""
    sums = pipeline_sums(owner_id)
    percent = dict(db.session.execute(select(PipelineStage.id, PipelineStage.probability)
                                      .where(PipelineStage.id.in_([i for i in sums if i]))).all())
    return {stage_id: StageTotal(  # cents (and cents × percent) back to money, exactly
        s.opportunities, Decimal(s.amount_cents).scaleb(-2),
        Decimal(s.own_weighted + (percent.get(stage_id) or 0) * s.stage_weighted).scaleb(-4))
        for stage_id, s in sums.items()}


def open_counts(stage_ids: list[int]) -> dict[int, int]:
    """How many open opportunities each of these stages holds (the stages list)."""
    return {stage_id: s.opportunities
            for stage_id, s in pipeline_sums(stage_ids=stage_ids).items()}
