"""Production start-up refuses a configuration that would make the deployment weak: a short
SECRET_KEY, debug mode, or an SQLite file on a network share (whose locking is unreliable)."""
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

MIN_SECRET_KEY_BYTES = 32
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs",
                                 "glusterfs", "ceph", "fuse.ceph", "afs", "lustre", "davfs",
                                 "fuse.rclone"})


class WeakConfiguration(RuntimeError):
    """The app was asked to start in production with a configuration that is not safe."""


def check_production_config(app: Flask, mounts_file: str = "/proc/mounts") -> None:
    """Raise WeakConfiguration listing every problem and what to set instead."""
    problems = []
    key = app.config.get("SECRET_KEY") or ""
    key_bytes = len(key.encode() if isinstance(key, str) else key)
    if key_bytes < MIN_SECRET_KEY_BYTES:
        problems.append(
            f"SECRET_KEY has {key_bytes} bytes; set it to at least {MIN_SECRET_KEY_BYTES} random "
            "bytes, e.g. SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))').")
    if app.debug or app.config.get("DEBUG"):
        problems.append("Debug mode is on; unset FLASK_DEBUG (and do not pass --debug) in "
                        "production: the debugger runs code for whoever reaches it.")
    network = sqlite_network_location(app.config["SQLALCHEMY_DATABASE_URI"], mounts_file)
    if network:
        problems.append(
            f"The SQLite database is on a network file system ({network}); SQLite's locking is "
            "unreliable there. Set DATABASE_URL to a file on a local disk, or to PostgreSQL "
            "(postgresql+psycopg://user:password@host/dbname).")
    if problems:
        raise WeakConfiguration("Refusing to start in production:\n- " + "\n- ".join(problems))


def sqlite_network_location(database_uri: str, mounts_file: str = "/proc/mounts") -> str | None:
    """Why the SQLite file of `database_uri` is on a network share, or None when it is not."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = url.database
    if path.startswith(("//", "\\\\")):
        return f"UNC path {path}"
    mount = _mount_of(Path(path).expanduser().absolute(), mounts_file)
    if mount and mount[1] in NETWORK_FILESYSTEMS:
        return f"{mount[1]} mount at {mount[0]}"
    return None


def _mount_of(path: Path, mounts_file: str) -> tuple[str, str] | None:
    """(mount point, file system type) of the longest mount point containing `path`."""
    try:
        lines = Path(mounts_file).read_text().splitlines()
    except OSError:
        return None  # not Linux, or no /proc: nothing to tell
    best: tuple[str, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        # /proc/mounts escapes spaces and tabs in mount points as octal (\040).
        point = fields[1].encode().decode("unicode_escape")
        if _within(path, point) and (best is None or len(point) > len(best[0])):
            best = (point, fields[2])
    return best


def _within(path: Path, point: str) -> bool:
    return point == "/" or path == Path(point) or Path(point) in path.parents
