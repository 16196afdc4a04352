"""Backups that restore: the database and the uploaded files in one .tar.gz with a manifest, and
the way back into an empty database.

The database copy is consistent while the app keeps running: SQLite's online backup API, or
`pg_dump` inside a snapshot that the row counts of the manifest are read from too. Uploaded files
are copied before and again after the database: a file is written before the row that names it
is committed and removed only after that row is gone, so each file the copy names is there at
one of the two moments (unless it came and went entirely while the dump ran).
"""
import hashlib
import json
import os
import shutil
import sqlite3
# Reviewed (bandit B404, B603 below): pg_dump and pg_restore, by absolute path, no shell.
import subprocess  # nosec B404
import tarfile
import tempfile
from datetime import datetime, timezone
from glob import glob
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from ..extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _require_local_storage(action: str) -> None:
    """Refuse under STORAGE=s3: this archive holds UPLOAD_DIR only, and a backup without the
    stored files would look complete while it is not."""
    if (current_app.config.get("STORAGE") or "local").lower() != "local":
        raise BackupError(
            f"STORAGE={current_app.config['STORAGE']}: `flask {action}` covers the database and "
            "the local UPLOAD_DIR only, and the uploaded files are in the bucket "
            f"{current_app.config.get('S3_BUCKET')!r}. Nothing was written. Back up the database "
            "with pg_dump and the bucket with your provider's versioning or replication.")


def create_backup(target: Path) -> dict:
    """Write the backup archive at `target` (atomically: complete or absent); its manifest."""
    kind = db.engine.dialect.name
    if kind not in DUMP_NAMES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    _require_local_storage("backup")
    uploads = Path(current_app.config["UPLOAD_DIR"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as work:
        staging = Path(work)
        files = _copy_tree(uploads, staging / UPLOADS)
        dump = staging / DUMP_NAMES[kind]
        if kind == "sqlite":
            database = _dump_sqlite(dump)
        else:
            database = _dump_postgresql(dump)
        files.update(_copy_tree(uploads, staging / UPLOADS, skip=files))
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": {"kind": kind, "file": dump.name, **_describe(dump), **database},
            "files": dict(sorted(files.items())),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = staging / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(staging / MANIFEST, arcname=MANIFEST)
            archive.add(dump, arcname=dump.name)
            for name in manifest["files"]:
                archive.add(staging / UPLOADS / name, arcname=f"{UPLOADS}/{name}")
        os.replace(partial, target)
    return manifest


def restore_backup(source: Path) -> dict:
    """Put the database and files of the archive at `source` back, into an empty database;
    the manifest. Everything is checked before anything is written."""
    kind = db.engine.dialect.name
    _require_local_storage("restore")
    uploads = Path(current_app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory(prefix=".restore-") as work:
        unpacked = Path(work)
        manifest = _unpack(source, unpacked)
        if manifest["database"]["kind"] != kind:
            raise BackupError(f"This backup is of a {manifest['database']['kind']} database; "
                              f"DATABASE_URL points at {kind}. Restore it into the same kind.")
        tables = inspect(db.engine).get_table_names()
        if tables:
            raise BackupError(
                f"The database is not empty: it has {len(tables)} tables "
                f"({', '.join(sorted(tables)[:4])}{', ...' if len(tables) > 4 else ''}). "
                "A restore only goes into an empty database, so that nothing is overwritten: "
                "create a new database (or name a new SQLite file) and point DATABASE_URL at it.")
        clashes = [name for name, entry in manifest["files"].items()
                   if (uploads / name).exists()
                   and _describe(uploads / name)["sha256"] != entry["sha256"]]
        if clashes:
            raise BackupError(f"{len(clashes)} files in {uploads} differ from the backup's "
                              f"(e.g. {clashes[0]}): restore into an empty UPLOAD_DIR.")
        written = _put_files(unpacked / UPLOADS, uploads, manifest["files"])
        try:
            dump = unpacked / manifest["database"]["file"]
            if kind == "sqlite":
                _restore_sqlite(dump)
            else:
                _restore_postgresql(dump)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        finally:
            db.engine.dispose()
    with db.engine.connect() as conn:
        counts = row_counts(conn)
    if counts != manifest["database"]["tables"]:
        raise BackupError("The restored database does not hold the rows the backup recorded: "
                          f"{counts} instead of {manifest['database']['tables']}.")
    return manifest


def schema_is_current(manifest: dict) -> bool:
    """Whether the backup's schema is the newest migration of this code."""
    from alembic.script import ScriptDirectory
    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    return manifest["database"].get("alembic_revision") == head


def row_counts(conn: Connection) -> dict[str, int]:
    """{table: rows} of every table of the database, Alembic's own included."""
    return {name: conn.scalar(select(func.count()).select_from(table(name)))
            for name in sorted(inspect(conn).get_table_names())}


# --- the database -----------------------------------------------------------------------------

def _dump_sqlite(dump: Path) -> dict:
    raw = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(dump)
        try:
            raw.driver_connection.backup(copy)  # one step: a consistent snapshot
        finally:
            copy.close()
    finally:
        raw.close()
    engine = create_engine(URL.create("sqlite", database=str(dump)), poolclass=NullPool)
    with engine.connect() as conn:
        return _facts(conn)


def _facts(conn: Connection) -> dict:
    names = inspect(conn).get_table_names()
    revision = (conn.scalar(text("SELECT version_num FROM alembic_version"))
                if "alembic_version" in names else None)
    return {"alembic_revision": revision, "tables": row_counts(conn)}


def _dump_postgresql(dump: Path) -> dict:
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # pg_dump reads this same snapshot, so the counts describe exactly what it writes.
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            facts = _facts(conn)
            _run_pg_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                         f"--snapshot={snapshot}", f"--file={dump}")
    return facts


def _restore_sqlite(dump: Path) -> None:
    source = sqlite3.connect(dump)
    raw = db.engine.raw_connection()
    try:
        source.backup(raw.driver_connection)
        check = raw.driver_connection.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The restored SQLite database fails its integrity check: {check}")
    finally:
        raw.close()
        source.close()


def _restore_postgresql(dump: Path) -> None:
    _run_pg_tool("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", str(dump))


def _run_pg_tool(tool: str, *arguments: str) -> None:
    """Run pg_dump or pg_restore against the app's database (password through the environment,
    not the command line)."""
    url = db.engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [pg_tool(tool), f"--dbname={dbname}", *arguments]
    done = subprocess.run(command, env=env, capture_output=True, text=True,  # nosec B603
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on the PATH, or the newest under Debian's
    /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda path: int(Path(path).parts[-3]))
    if not installed:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client programs "
                          "(Debian: apt-get install postgresql-client).")
    return installed[-1]


# --- files and the archive ------------------------------------------------------------------------

def _describe(path: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _copy_tree(root: Path, into: Path, skip: dict | None = None) -> dict[str, dict]:
    """Copy the regular files under `root` (but those in `skip`); {relative name: facts}."""
    copied = {}
    if not root.is_dir():
        return copied
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if not path.is_file() or path.is_symlink() or (skip and name in skip):
            continue
        destination = into / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:  # removed since the listing: its row is gone too
            continue
        copied[name] = _describe(destination)
    return copied


def _unpack(source: Path, into: Path) -> dict:
    """Extract the archive safely and check it against its manifest; the manifest."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    try:
        with tarfile.open(source, "r:gz") as archive:
            # The "data" filter refuses absolute paths, "..", links and devices.
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{source} is not a readable backup archive: {exc}") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} has no readable {MANIFEST}: not a backup of this app.") \
            from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')} is not known to this version.")
    expected = {manifest["database"]["file"]: manifest["database"]}
    expected.update({f"{UPLOADS}/{name}": entry for name, entry in manifest["files"].items()})
    present = {path.relative_to(into).as_posix() for path in into.rglob("*") if path.is_file()}
    unlisted = present - set(expected) - {MANIFEST}
    if unlisted:
        raise BackupError(f"The archive holds files its manifest does not list: "
                          f"{sorted(unlisted)[:3]}")
    for name, entry in expected.items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"The archive lacks {name}.")
        facts = _describe(path)
        if (facts["sha256"], facts["size"]) != (entry["sha256"], entry["size"]):
            raise BackupError(f"{name} does not match its checksum: the archive is damaged.")
    return manifest


def _put_files(source: Path, uploads: Path, files: dict) -> list[Path]:
    """Copy the backed-up files into UPLOAD_DIR; the paths written (not those already there)."""
    written = []
    for name in files:
        destination = uploads / name
        if destination.exists():
            continue  # the same content (checked before)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, destination)
        written.append(destination)
    return written
