"""List row icons that show only where the action is allowed: no Edit or Delete on issued rows."""
from flask_admin.model.template import DeleteRowAction, EditRowAction

from ..services.sales import is_deletable, status_allows_editing


class EditIfAllowed(EditRowAction):
    """Edit on drafts (open orders) only; the edit page still refuses the rest in full."""

    def render(self, context, row_id, row):
        return super().render(context, row_id, row) if status_allows_editing(row) else ""


class DeleteIfAllowed(DeleteRowAction):
    """Delete on unnumbered documents only; the service still refuses numbered ones."""

    def render(self, context, row_id, row):
        return super().render(context, row_id, row) if is_deletable(row) else ""


def document_row_actions(actions: list) -> list:
    """Flask-Admin's row actions with Edit and Delete replaced by their guarded forms."""
    swap = {EditRowAction: EditIfAllowed, DeleteRowAction: DeleteIfAllowed}
    return [swap[type(a)]() if type(a) in swap else a for a in actions]
