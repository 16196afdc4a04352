"""`flask backup` and `flask restore`: a seeded database and its uploaded files come back whole
into an empty database, on SQLite and on PostgreSQL; what would overwrite or is damaged is
refused before anything is written."""
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from werkzeug.datastructures import FileStorage

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Company
from admin_app.services.backup import row_counts
from config import TestingConfig
from tests.conftest import TEST_PASSWORD, new_database


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `root`."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def counts_at(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return row_counts(conn)
    finally:
        engine.dispose()


def app_on(url: str, uploads: Path, redis_url: str):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = str(uploads)
        REDIS_URL = redis_url
    return create_app(Config)


def invoke(app, *args: str):
    """Run a command on `app` (the CLI runner would reuse the test's app context, another app's)."""
    with app.app_context():
        try:
            return app.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def seeded(app, admin_user):
    """Demo companies with their history, an uploaded document and a contact photo."""
    from admin_app.services.card_edit import store_document
    from admin_app.services.demo import seed_demo
    seed_demo(companies=4, seed=3, admin_email=admin_user.email, admin_password=TEST_PASSWORD)
    company = db.session.query(Company).order_by(Company.id).first()
    store_document(company, admin_user, FileStorage(io.BytesIO(b"%PDF-1.4 signed\n" * 50),
                                                    filename="contract.pdf"))
    db.session.commit()
    return company


def test_backup_and_restore_round_trip_every_row_and_file(app, seeded, database_url, redis_url,
                                                          tmp_path):
    archive = tmp_path / "backup.tar.gz"
    card_url, name = f"/admin/company/card/?id={seeded.id}", seeded.name
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    source_counts = counts_at(database_url)
    source_files = tree_digest(Path(app.config["UPLOAD_DIR"]))
    assert source_counts["companies"] == 4 and source_counts["documents"] == 1
    assert any(name.startswith("documents/") for name in source_files)

    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["database"]["kind"] == db.engine.dialect.name
    assert manifest["database"]["alembic_revision"]
    assert manifest["database"]["tables"] == source_counts
    assert {n: e["sha256"] for n, e in manifest["files"].items()} == source_files

    with new_database(database_url, tmp_path, "bo_restore") as target_url:
        restored_uploads = tmp_path / "restored-uploads"
        target = app_on(target_url, restored_uploads, redis_url)
        result = invoke(target, "restore", str(archive))
        assert result.exit_code == 0, result.output
        assert "every count and checksum matches" in result.output
        assert counts_at(target_url) == source_counts
        assert tree_digest(restored_uploads) == source_files
        # The restored copy is a working database: the app logs in and shows the card.
        client = target.test_client()
        with target.app_context():
            target.config["WTF_CSRF_ENABLED"] = False
            assert client.post("/login", data={"email": "admin@example.com",
                                               "password": TEST_PASSWORD}).status_code == 302
            assert name in client.get(card_url).get_data(as_text=True)
            # ...and takes new rows: the id sequences came back with the data.
            assert client.post("/admin/company/new/", data={
                "name": "Signed after the restore", "status": "lead"}).status_code == 302
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, seeded, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    before = counts_at(app.config["SQLALCHEMY_DATABASE_URI"])
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "The database is not empty" in result.output
    assert "create a new database" in result.output
    assert counts_at(app.config["SQLALCHEMY_DATABASE_URI"]) == before


def test_restore_refuses_a_damaged_archive_before_writing(app, seeded, tmp_path):
    archive, damaged = tmp_path / "backup.tar.gz", tmp_path / "damaged.tar.gz"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("uploads/documents/"):
                data = data.replace(b"signed", b"forged")
            copy.addfile(member, io.BytesIO(data))
    uploads = Path(app.config["UPLOAD_DIR"])
    before = counts_at(app.config["SQLALCHEMY_DATABASE_URI"]), tree_digest(uploads)
    result = runner.invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0
    # The archive is checked first: its damage is what the refusal names, not the full database.
    assert "does not match its checksum" in result.output
    assert (counts_at(app.config["SQLALCHEMY_DATABASE_URI"]), tree_digest(uploads)) == before


def test_backup_will_not_overwrite_a_file_without_force(app, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    archive.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code != 0 and "exists" in result.output
    assert archive.read_text() == "keep me"
