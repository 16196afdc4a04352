"""The streamed export computes each cell through a function prepared once per export: it must
give exactly what Flask-Admin's get_export_value (made formula-safe) gives, in every list."""
import gc

from flask_admin.contrib.sqla import ModelView

from admin_app.collector import gc_paused
from hostile_support import FORMULAS, seed_every_kind


def _exportable_views(app) -> list:
    return [view for view in app.extensions["admin"][0]._views
            if isinstance(view, ModelView) and view.can_export and "csv" in view.export_types]


def test_every_prepared_cell_equals_get_export_value_in_every_list(app, admin_user):
    seed_every_kind(admin_user, payloads=FORMULAS)
    compared, views = set(), _exportable_views(app)
    with app.test_request_context("/admin/"):
        for view in views:
            names = [name for name, _label in view._export_columns]
            cells = {name: view.export_cell(name) for name in names}
            for model in list(view._export_query()):  # the query the export streams
                for name in names:
                    expected = view.get_export_value(model, name)
                    got = cells[name](model)
                    assert (got, type(got)) == (expected, type(expected)), (view.endpoint, name)
                    compared.add(view.endpoint)
    assert len(views) >= 15
    assert compared == {view.endpoint for view in views}  # every list had rows to compare


def test_the_company_export_writes_the_main_address_city_and_the_status_label(
        admin_client, make_company):
    from admin_app.extensions import db
    from admin_app.models import Address
    company = make_company("Kestrel Media", status="lead")
    db.session.add_all([Address(company=company, line1="1 Rue", city="Lyon", is_main=False),
                        Address(company=company, line1="2 Calle", city="Madrid", is_main=True)])
    make_company("Nordic Foods")
    db.session.commit()
    text = admin_client.get("/admin/company/export/csv/").get_data(as_text=True)
    header, kestrel, nordic = [line.split(",") for line in text.strip().splitlines()]
    assert kestrel[header.index("City")] == "Madrid" and nordic[header.index("City")] == ""
    assert kestrel[header.index("Status")] == "Lead"


def test_cyclic_collection_is_paused_while_rows_stream_and_restored_after(
        admin_client, make_company, monkeypatch):
    monkeypatch.setattr("admin_app.admin.export.CSV_CHUNK", 1)  # a chunk per row
    for i in range(3):
        make_company(f"Company {i}")
    assert gc.isenabled()
    response = admin_client.get("/admin/company/export/csv/", buffered=False)
    chunks = iter(response.response)
    next(chunks), next(chunks)
    assert not gc.isenabled()
    response.close()  # the client went away mid-export
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
