"""The storage contract, run the same on a local folder and on a real S3-compatible server
(moto's, started by the s3_endpoint fixture): save, read, stream, exists, size, overwrite,
delete, missing keys, keys that try to leave the store, and a file too big to hold in memory."""
import hashlib
import io
import os

import pytest

from admin_app.storage import LocalStorage, S3Storage, StorageKeyError, build_storage

BIG = 12 * 1024 * 1024  # above boto3's 8 MB multipart threshold: sent and read in parts


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Storage(bucket, endpoint_url=request.getfixturevalue("s3_endpoint"))


class Pattern(io.RawIOBase):
    """`size` bytes of a repeating pattern, produced as they are read (never all in memory)."""

    def __init__(self, size: int):
        self.left = size
        self.block = bytes(range(256)) * 256

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left, len(self.block))
        buffer[:count] = self.block[:count]
        self.left -= count
        return count


def _pattern_digest(size: int) -> str:
    digest, source = hashlib.sha256(), Pattern(size)
    while chunk := source.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def test_saved_bytes_read_back_the_same_with_their_size(store):
    store.save("documents/a1b2", b"%PDF-1.4 contract")
    assert store.exists("documents/a1b2")
    assert store.read("documents/a1b2") == b"%PDF-1.4 contract"
    assert store.size("documents/a1b2") == len(b"%PDF-1.4 contract")


def test_a_saved_stream_is_opened_as_a_stream(store):
    store.save("photos/face.jpg", io.BytesIO(b"\xff\xd8" + b"x" * 5000))
    with store.open("photos/face.jpg") as body:
        first, rest = body.read(2), body.read()
    assert first == b"\xff\xd8" and rest == b"x" * 5000


def test_saving_again_replaces_the_content(store):
    store.save("settings/logo.png", b"old logo")
    store.save("settings/logo.png", b"new")
    assert store.read("settings/logo.png") == b"new" and store.size("settings/logo.png") == 3


def test_a_deleted_file_is_gone_and_deleting_twice_is_harmless(store):
    store.save("issued/invoice-1.pdf", b"%PDF")
    store.delete("issued/invoice-1.pdf")
    assert not store.exists("issued/invoice-1.pdf")
    store.delete("issued/invoice-1.pdf")
    assert not store.exists("issued/invoice-1.pdf")


def test_a_missing_key_reads_as_file_not_found(store):
    assert not store.exists("documents/never")
    for call in (store.read, store.open, store.size):
        with pytest.raises(FileNotFoundError):
            call("documents/never")


@pytest.mark.parametrize("key", ["../outside", "documents/../../outside", "/etc/passwd", "",
                                 "documents\\..\\x", "documents/a\x00b", ".", "documents//x",
                                 "documents/.hidden/../x", "documents/x\n", "a" * 600])
def test_keys_that_could_leave_the_store_are_refused(store, key, tmp_path):
    for call in (store.read, store.open, store.exists, store.delete, store.size):
        with pytest.raises(StorageKeyError):
            call(key)
    with pytest.raises(StorageKeyError):
        store.save(key, b"payload")
    assert not (tmp_path / "outside").exists()


def test_a_large_file_is_saved_and_read_as_a_stream(store):
    store.save("imports/big.bin", Pattern(BIG))
    assert store.size("imports/big.bin") == BIG
    digest, chunks = hashlib.sha256(), 0
    with store.open("imports/big.bin") as body:
        while chunk := body.read(1024 * 1024):
            digest.update(chunk)
            chunks += 1
    assert digest.hexdigest() == _pattern_digest(BIG) and chunks >= BIG // (1024 * 1024)


def test_local_keys_keep_the_upload_folder_layout(tmp_path):
    """Files stored before the interface existed are found under the same names."""
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "0f1e").write_bytes(b"stored last year")
    store = LocalStorage(tmp_path)
    assert store.read("documents/0f1e") == b"stored last year"
    store.save("photos/new.jpg", b"jpeg")
    assert (tmp_path / "photos" / "new.jpg").read_bytes() == b"jpeg"
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == ["new.jpg"]


def test_a_local_symlink_out_of_the_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    root = tmp_path / "store"
    root.mkdir()
    os.symlink(outside, root / "documents")
    with pytest.raises(StorageKeyError):
        LocalStorage(root).read("documents/secret")


def test_an_s3_prefix_keeps_the_files_under_it(s3_endpoint, s3_bucket):
    import boto3

    S3Storage(s3_bucket, endpoint_url=s3_endpoint, prefix="backoffice/").save("documents/x", b"1")
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=s3_bucket)
    assert [item["Key"] for item in listed["Contents"]] == ["backoffice/documents/x"]


def test_the_configuration_chooses_the_storage(tmp_path, s3_endpoint):
    assert isinstance(build_storage({"UPLOAD_DIR": str(tmp_path)}), LocalStorage)
    chosen = build_storage({"STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": s3_endpoint,
                            "UPLOAD_DIR": str(tmp_path)})
    assert isinstance(chosen, S3Storage) and chosen.bucket == "b"
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        build_storage({"STORAGE": "s3", "UPLOAD_DIR": str(tmp_path)})
    with pytest.raises(RuntimeError, match="'local' or 's3'"):
        build_storage({"STORAGE": "ftp", "UPLOAD_DIR": str(tmp_path)})
