"""Where uploaded and produced files live: a local folder (default) or S3-compatible storage.

Every stored file (documents, photos, the seller logo, archived PDFs, signed copies) is read,
written, streamed and removed through `storage()`. Keys are relative paths such as
`documents/<hex>`, the same as the on-disk layout under UPLOAD_DIR, so existing data works
unchanged with `STORAGE=local` and can be copied as is into a bucket for `STORAGE=s3`.
Signing keys (SIGNING_DIR) and import workspaces (scratch files read line by line) stay local.
"""
import io
import os
import re
import secrets
import shutil
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from flask import Response, current_app, send_file
from werkzeug.exceptions import NotFound

CHUNK = 1024 * 1024
# Letters, digits and a few punctuation marks per segment: nothing a shell, a URL or a bucket
# would read differently.
SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class StorageKeyError(ValueError):
    """A key that could leave the storage root (`..`, absolute, odd characters)."""


def check_key(key: str) -> str:
    """The key itself when it is a plain relative path; StorageKeyError otherwise."""
    if not isinstance(key, str) or not key or len(key) > 500 or "\\" in key:
        raise StorageKeyError(f"refused storage key {key!r}")
    # Each segment starts with a letter or digit: no "", ".", "..", hidden or absolute parts.
    if not all(SEGMENT.fullmatch(part) for part in key.split("/")):
        raise StorageKeyError(f"refused storage key {key!r}")
    return key


class Storage(Protocol):
    """What the app needs from a place that keeps files."""

    def save(self, key: str, data: bytes | IO[bytes]) -> None: ...
    def open(self, key: str) -> IO[bytes]: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under a folder, as UPLOAD_DIR always held them; written whole or not at all."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # Symlinks inside the root could still point out of it: resolve and compare.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise StorageKeyError(f"refused storage key {key!r}")
        return path

    def save(self, key: str, data: bytes | IO[bytes]) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary name first, so a half-written file never shows under its key.
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            with temporary.open("wb") as out:
                if isinstance(data, (bytes, bytearray)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, CHUNK)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def open(self, key: str) -> IO[bytes]:
        return self.path(key).open("rb")

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket through boto3; credentials from the standard AWS
    environment variables (or the instance's role)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 prefix: str = "", client=None):
        import boto3  # optional: only deployments with STORAGE=s3 need it

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None,
                                             region_name=region or None)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _missing(self, error) -> bool:
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def save(self, key: str, data: bytes | IO[bytes]) -> None:
        body = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        # upload_fileobj sends big files in parts: memory stays flat whatever the size.
        self.client.upload_fileobj(body, self.bucket, self._name(key))

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from None
            raise

    def read(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def build_storage(config) -> Storage:
    """The storage the configuration names: STORAGE=local (UPLOAD_DIR) or STORAGE=s3."""
    kind = (config.get("STORAGE") or "local").lower()
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE=s3 needs S3_BUCKET")
        return S3Storage(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"),
                         config.get("S3_REGION"), config.get("S3_PREFIX") or "")
    if kind != "local":
        raise RuntimeError(f"STORAGE must be 'local' or 's3', not {kind!r}")
    return LocalStorage(config["UPLOAD_DIR"])


def storage() -> Storage:
    """The application's storage, built once per app."""
    found = current_app.extensions.get("storage")
    if found is None:
        found = current_app.extensions["storage"] = build_storage(current_app.config)
    return found


def discard(key: str | None) -> None:
    """Remove a stored file if there is one (after a rollback, or once replaced)."""
    if key:
        try:
            storage().delete(key)
        except StorageKeyError:
            current_app.logger.warning("Not removing a file under an odd key: %r", key)
        except Exception:  # noqa: BLE001
            # Runs after a commit or a rollback: an orphan file is harmless, while failing the
            # request now would report an error for work that was done (or cleanly undone).
            current_app.logger.exception("Could not remove the stored file %s", key)


def send(key: str | None, mimetype: str, download_name: str | None = None,
         as_attachment: bool = False, max_age: int | None = None,
         conditional: bool = True) -> Response:
    """A response streaming the stored file; 404 when it is missing."""
    if not key:
        raise NotFound()
    store = storage()
    try:
        if isinstance(store, LocalStorage):
            # A path keeps Werkzeug's conditional requests and ranges, as before.
            path = store.path(key)
            if not path.is_file():
                raise NotFound()
            return send_file(path, mimetype=mimetype, as_attachment=as_attachment,
                             download_name=download_name, max_age=max_age,
                             conditional=conditional)
        body = store.open(key)
    except (StorageKeyError, FileNotFoundError):
        raise NotFound() from None
    return send_file(body, mimetype=mimetype, as_attachment=as_attachment,
                     download_name=download_name or PurePosixPath(key).name,
                     max_age=max_age, conditional=False)
