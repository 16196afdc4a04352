"""Confirmed imports: exactly the previewed rows are written, in batches, recorded and undoable."""
import csv
import io
import tracemalloc

import pytest
from sqlalchemy import event, func, select

from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, Company, Contact, CustomFieldDefinition, CustomFieldValue, ImportBatch,
    ImportChange,
)
from admin_app.services.imports import runs as import_service
from admin_app.services.imports.undo import undo_import
from admin_app.unit_of_work import unit_of_work
from tests.import_helpers import csv_bytes, lines, preview, run_import, table_counts

HEADERS = ["Name", "Email", "Legal ID", "Status", "City", "First name", "Last name", "Employees"]


@pytest.fixture
def employees(app):
    definition = CustomFieldDefinition(key="employees", label="Employees", field_type="number")
    db.session.add(definition)
    db.session.commit()
    return definition


@pytest.fixture
def existing(make_company, employees):
    company = make_company("Acme Logistics", status="lead", email="old@acme.example",
                           legal_id="B64717838", phone="+34 911 111 111")
    db.session.add(Address(company_id=company.id, label="HQ", line1="1 Calle Mayor",
                           city="Madrid", country="Spain", is_main=True))
    db.session.add(CustomFieldValue(company_id=company.id, definition_id=employees.id, value="10"))
    db.session.commit()
    return company


ROWS = [
    ["ACME LOGISTICS SL", "new@acme.example", "B64717838", "client", "Toledo", "Ana", "Ruiz", "12"],
    ["Nimbus Labs", "hi@nimbus.example", "", "", "Lyon", "Luc", "Petit", "3"],
    ["Broken", "not-an-email", "", "", "", "", "", ""],
    ["Nimbus Labs", "", "", "", "", "", "", ""],
]


def _import(user, rows=ROWS, on_match="overwrite"):
    workspace, state = preview(csv_bytes(rows, headers=HEADERS), user, on_match=on_match)
    return workspace, state, run_import(workspace, user)


def test_confirm_writes_exactly_the_previewed_rows(admin_user, existing):
    workspace, state, batch = _import(admin_user)
    planned = lines(workspace)
    assert [planned[n]["f"] for n in (2, 3, 4, 5)] == ["update", "create", "error", "skip"]
    assert (batch.status, batch.created_count, batch.updated_count, batch.skipped_count,
            batch.error_count, batch.processed_rows) == ("done", 1, 1, 1, 1, 4)
    db.session.refresh(existing)
    assert (existing.email, existing.status, existing.phone) == (
        "new@acme.example", "client", "+34 911 111 111")  # empty cells change nothing
    assert existing.main_address.city == "Toledo" and existing.main_address.line1 == "1 Calle Mayor"
    assert {c.full_name for c in existing.contacts} == {"Ana Ruiz"}
    assert existing.custom_values[0].value == "12"
    created = db.session.scalar(select(Company).where(Company.name == "Nimbus Labs"))
    assert created.status == "lead" and created.main_address.city == "Lyon"
    assert [c.full_name for c in created.contacts] == ["Luc Petit"]
    assert created.custom_values[0].value == "3"
    assert db.session.scalar(select(func.count()).select_from(Company)) == 2
    assert batch.file_hash == state["file_hash"] and batch.user_id == admin_user.id


def test_filling_keeps_what_the_company_has(admin_user, existing):
    _workspace, _state, batch = _import(admin_user, on_match="fill")
    db.session.refresh(existing)
    assert (existing.email, existing.status, existing.main_address.city) == (
        "old@acme.example", "client", "Madrid")
    assert existing.custom_values[0].value == "10"
    assert {c.full_name for c in existing.contacts} == {"Ana Ruiz"}
    assert batch.updated_count == 1


def test_every_created_or_updated_company_has_an_audit_entry(admin_user, existing):
    _workspace, _state, batch = _import(admin_user)
    entries = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "Company")
                                 .order_by(AuditLog.id)).all()
    created_id = db.session.scalar(select(Company.id).where(Company.name == "Nimbus Labs"))
    imported = [e for e in entries if f"import #{batch.id}" in e.summary]
    assert sorted((e.action, e.entity_id) for e in imported) == [
        ("create", created_id), ("update", existing.id)]
    update = next(e for e in imported if e.action == "update")
    assert update.changes["email"] == ["old@acme.example", "new@acme.example"]
    assert update.changes["address.city"] == ["Madrid", "Toledo"]


def test_a_company_merged_after_the_preview_is_reported_not_updated(admin_user, existing,
                                                                    make_company):
    workspace, _state = preview(csv_bytes(ROWS[:1], headers=HEADERS), admin_user,
                                on_match="overwrite")
    keeper = make_company("Keeper")
    existing.merged_into_id = keeper.id
    db.session.commit()
    batch = run_import(workspace, admin_user)
    assert (batch.updated_count, batch.error_count) == (0, 1)
    report = list(csv.reader(open(import_service.report_file(batch), encoding="utf-8")))
    assert report[1][1] == "error" and "merged or deleted after the preview" in report[1][4]


def test_undo_restores_updated_and_removes_created_records(admin_user, existing):
    before = {"email": existing.email, "status": existing.status}
    _workspace, _state, batch = _import(admin_user)
    with unit_of_work(flash_errors=False) as work:
        done = undo_import(batch, admin_user)
    assert work.committed, work.error
    db.session.expire_all()
    company = db.session.get(Company, existing.id)
    assert {"email": company.email, "status": company.status} == before
    assert company.main_address.city == "Madrid"
    assert company.contacts == []
    assert company.custom_values[0].value == "10"
    assert db.session.scalar(select(Company).where(Company.name == "Nimbus Labs")) is None
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert done == {"deleted": 1, "restored": 2, "kept": 0}
    assert db.session.get(ImportBatch, batch.id).status == "undone"



def test_undo_removes_added_contacts_and_addresses_set_based_with_an_audit_entry_each(
        admin_user, make_company, employees):
    names = [f"Plain Company {n}" for n in range(12)]
    bare = [make_company(name, email=f"c{n}@plain.example") for n, name in enumerate(names)]
    rows = [[name, f"c{n}@plain.example", "", "", "Bilbao", "Eva", f"Soto{n}", ""]
            for n, name in enumerate(names)]
    _workspace, _state, batch = _import(admin_user, rows=rows)
    assert batch.updated_count == 12
    added = {(kind, entity_id) for kind, entity_id in db.session.execute(
        select(ImportChange.entity_type, ImportChange.entity_id).where(
            ImportChange.import_id == batch.id, ImportChange.action == "create"))}
    assert {kind for kind, _id in added} == {"Contact", "Address"} and len(added) == 24
    deletes = []

    def seen(_conn, _cursor, statement, _parameters, _context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append((statement.split()[2], executemany))
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with unit_of_work(flash_errors=False) as work:
            undo_import(batch, admin_user)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert work.committed, work.error
    # One statement per chunk, not one per row: an executemany runs the addresses' statement
    # triggers once per row on PostgreSQL.
    assert sorted(deletes) == [("addresses", False), ("contacts", False)]
    db.session.expire_all()
    assert all(db.session.get(Company, c.id).contacts == [] for c in bare)
    assert db.session.scalar(select(func.count()).select_from(Address)) == 0
    assert db.session.scalar(select(Company.has_main_address).where(Company.id == bare[0].id)) \
        is False
    entries = db.session.scalars(select(AuditLog).where(
        AuditLog.action == "delete",
        AuditLog.summary.contains(f"undo of import #{batch.id}"))).all()
    assert {(e.entity_type, e.entity_id) for e in entries} == added
    contact = next(e for e in entries if e.entity_type == "Contact")
    assert contact.changes["first_name"] == "Eva" and contact.user_id == admin_user.id
    address = next(e for e in entries if e.entity_type == "Address")
    assert address.changes["city"] == "Bilbao"

def test_undo_keeps_a_value_edited_since_the_import(admin_user, existing):
    _workspace, _state, batch = _import(admin_user)
    company = db.session.get(Company, existing.id)
    company.email = "edited@acme.example"
    db.session.commit()
    with unit_of_work(flash_errors=False):
        done = undo_import(batch, admin_user)
    db.session.expire_all()
    company = db.session.get(Company, existing.id)
    assert company.email == "edited@acme.example" and company.status == "lead"
    assert done["kept"] == 1


def test_undo_is_refused_while_a_created_company_has_sales_documents(admin_user, existing,
                                                                     make_document):
    _workspace, _state, batch = _import(admin_user)
    created = db.session.scalar(select(Company).where(Company.name == "Nimbus Labs"))
    make_document("quote", created)
    with unit_of_work(flash_errors=False) as work:
        undo_import(batch, admin_user)
    assert not work.committed and "sales documents" in work.error
    db.session.expire_all()
    assert db.session.get(Company, existing.id).email == "new@acme.example"
    assert db.session.get(ImportBatch, batch.id).status == "done"


def test_rows_are_applied_one_transaction_per_batch(admin_user, monkeypatch):
    monkeypatch.setattr(import_service, "BATCH", 20)
    rows = [[f"Company {i}", f"c{i}@firm{i}.example", "", "", "", "", "", ""] for i in range(50)]
    workspace, _state = preview(csv_bytes(rows, headers=HEADERS), admin_user)
    with unit_of_work(flash_errors=False):
        batch_id = import_service.start_import(workspace, workspace.read_state()["digest"],
                                               admin_user).id
    commits = []

    def count_commit(_connection):
        commits.append(1)

    event.listen(db.engine, "commit", count_commit)
    try:
        import_service.apply_import(batch_id)
    finally:
        event.remove(db.engine, "commit", count_commit)
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.created_count == 50 and batch.status == "done"
    assert len(commits) == 4  # 20 + 20 + 10 rows, then the import marked done
    assert db.session.scalar(select(func.count()).select_from(ImportChange)) == 50


def test_a_confirm_of_a_changed_preview_is_refused(admin_user):
    workspace, _state = preview(csv_bytes([["Acme", "", "", "", "", "", "", ""]], headers=HEADERS),
                                admin_user)
    before = table_counts()
    with unit_of_work(flash_errors=False) as work:
        import_service.start_import(workspace, "not-the-digest", admin_user)
    assert not work.committed and "changed since" in work.error
    assert table_counts() == before


def test_formula_payloads_are_stored_as_text_and_neutralised_on_export(admin_client, admin_user):
    payload = '=HYPERLINK("http://evil.example","Click")'
    workspace, _state = preview(csv_bytes([[payload, "", "", "", "", "", "", ""]],
                                          headers=HEADERS), admin_user)
    batch = run_import(workspace, admin_user)
    assert db.session.scalar(select(Company.name)) == payload
    export = admin_client.get("/admin/company/export/csv/").get_data(as_text=True)
    assert "'" + payload.replace('"', '""') in export
    report = admin_client.get(f"/admin/import/result/{batch.id}/report.csv").get_data(as_text=True)
    row = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))[1]
    assert row[3] == "'" + payload and row[5] == "'" + payload


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows(admin_user, monkeypatch):
    """Five times the rows (and batches) must not take five times the memory."""
    monkeypatch.setattr(import_service, "BATCH", 100)
    peaks = {}
    for rows in (300, 1500):
        content = csv_bytes([[f"Firm {rows}-{i}", f"x{i}@firm{rows}-{i}.example", "", "lead",
                              f"City {i}", "Ana", f"Ruiz {i}", ""] for i in range(rows)],
                            headers=HEADERS)
        workspace = None

        def read():
            nonlocal workspace
            workspace, _state = preview(content, admin_user)

        preview_peak = _peak_mib(read)
        with unit_of_work(flash_errors=False):
            batch_id = import_service.start_import(workspace, workspace.read_state()["digest"],
                                                   admin_user).id
        import_peak = _peak_mib(lambda: import_service.apply_import(batch_id))
        peaks[rows] = (preview_peak, import_peak)
        db.session.expire_all()
        assert db.session.get(ImportBatch, batch_id).created_count == rows
    small, large = peaks[300], peaks[1500]
    assert large[0] < small[0] * 1.6 + 1, peaks
    assert large[1] < small[1] * 1.6 + 1, peaks
