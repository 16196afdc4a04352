"""CSV export that arrives whole and that a spreadsheet opens without running anything."""
from .formatting import neutralise_formula


class ExportedRow:
    """One exported row's cells, already spreadsheet-safe."""

    def __init__(self, cells: dict):
        self.cells = cells


class SafeExportMixin:
    """Every cell computed before the response streams, and neutralised whatever its type."""

    def _export_data(self):
        """The rows' cells, computed now: the CSV streams after the request's session has
        closed, when reading a relation not loaded yet fails (DetachedInstanceError)."""
        count, rows = super()._export_data()
        names = [name for name, _label in self._export_columns]
        return count, [ExportedRow({n: self.get_export_value(row, n) for n in names})
                       for row in rows]

    def get_export_value(self, model, name):
        if isinstance(model, ExportedRow):
            return model.cells[name]
        return neutralise_formula(super().get_export_value(model, name))
