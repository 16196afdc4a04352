"""Pipeline stages, opportunities and the board that groups open opportunities by stage."""
from flask_babel import lazy_gettext as _l
from flask import request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import NumberRange, Optional

from .validators import InUserLanguage
from .. import clock
from ..extensions import db
from ..models import Opportunity, PipelineStage, User
from ..services.opportunities import (
    StageTotal, delete_stage, open_counts, save_opportunity, stage_cards, stage_totals,
)
from .args import int_arg
from .base import AdminOnlyModelView, SecureBaseView, SecureModelView, company_from_args
from .labels import STATUS_LABELS
from .sales import COMPANY_AJAX
from .sales_format import EXPORT_FORMATTERS, FORMATTERS

BOARD_CARDS_PER_STAGE = 50


class PipelineStageView(AdminOnlyModelView):
    column_list = ["position", "name", "probability", "opportunities"]
    column_default_sort = "position"
    column_sortable_list = ["position", "name", "probability"]
    column_labels = {"probability": _l("Default probability (%)"), "opportunities": _l("Open opportunities")}
    column_descriptions = {"position": _l("Order of the stage on the board (smallest first).")}
    form_columns = ["name", "position", "probability"]
    form_args = {"probability": {"validators": [NumberRange(0, 100, _l("Between 0 and 100."))]},
                 "position": {"validators": [InUserLanguage(NumberRange(min=0, message=_l("0 or more.")))]}}

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        ids = [r.id for r in rows]
        # From the pipeline's running tallies (migration 0025), not from the opportunities.
        self._open_counts = open_counts(ids)
        return count, rows

    column_formatters = {"opportunities": lambda v, c, m, n: v._open_counts.get(m.id, 0)}

    def remove_model(self, model, work):
        delete_stage(model)


class OpportunityView(SecureModelView):
    column_list = ["title", "company", "stage", "amount", "probability", "status",
                   "expected_close_on", "closed_on", "owner"]
    column_searchable_list = ["title", "company.name"]
    column_filters = ["status", "stage.name", "amount", "expected_close_on", "closed_on",
                      "owner.full_name"]
    column_default_sort = ("expected_close_on", False)
    column_formatters = FORMATTERS
    column_formatters_export = EXPORT_FORMATTERS
    column_labels = {"expected_close_on": _l("Expected close"), "closed_on": _l("Won/lost on"),
                     "probability": _l("Probability (%)"),
                     # Filters on a related column are named "Pipeline Stages / Name" otherwise.
                     "stage.name": _l("Stage"), "owner.full_name": _l("Owner")}
    column_descriptions = {"probability": _l("Empty: the stage's default probability."),
                           "closed_on": _l("Set automatically when marked won or lost.")}
    form_columns = ["company", "title", "amount", "stage", "probability", "status",
                    "expected_close_on", "closed_on", "owner", "notes"]
    form_args = {"amount": {"validators": [InUserLanguage(NumberRange(min=0, message=_l("Must be 0 or more.")))]},
                 "probability": {"validators": [Optional(), NumberRange(0, 100, _l("Between 0 and 100."))]},
                 "stage": {"query_factory": lambda: db.session.scalars(
                     select(PipelineStage).order_by(PipelineStage.position)).all()}}
    form_choices = {"status": [(s, STATUS_LABELS[s]) for s in ("open", "won", "lost")]}
    form_ajax_refs = {"company": COMPANY_AJAX,
                      "owner": {"fields": ["full_name", "email"], "page_size": 10}}

    def get_query(self):
        return super().get_query().options(db.joinedload(Opportunity.company),
                                           db.joinedload(Opportunity.owner))

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.company.data = company_from_args() or form.company.data
            form.owner.data = db.session.get(User, current_user.id)
            first = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)
                                       .limit(1)).first()
            if first is not None and form.stage.data is None:
                form.stage.data = first
        return form

    def on_model_change(self, form, model, is_created):
        save_opportunity(model)
        super().on_model_change(form, model, is_created)


class PipelineBoardView(SecureBaseView):
    """Open opportunities grouped by stage, with totals and weighted totals per stage."""

    @expose("/")
    def index(self):
        owner_id = int_arg("owner_id")
        stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)).all()
        totals = stage_totals(owner_id)
        # The "no stage" column only when some open opportunity has no stage.
        shown = [*stages, *([None] if None in totals else [])]
        cards = stage_cards([stage.id if stage else None for stage in shown], owner_id,
                            BOARD_CARDS_PER_STAGE)
        columns = []
        for stage in shown:
            stage_id = stage.id if stage else None
            total = totals.get(stage_id) or StageTotal()
            columns.append({"stage": stage, "count": total.count, "amount": total.amount,
                            "weighted": total.weighted, "cards": cards[stage_id]})
        owners = db.session.scalars(select(User).where(User.is_active.is_(True))
                                    .order_by(User.full_name)).all()
        return self.render("admin/sales/board.html", columns=columns, owners=owners,
                           owner_id=owner_id, today=clock.today(),
                           per_stage=BOARD_CARDS_PER_STAGE)
