"""What an uploaded file really is and a name safe to show: the bytes decide the type, never the
browser's word nor the file's extension."""
import codecs
import unicodedata
from pathlib import PurePosixPath
from typing import BinaryIO

import filetype
from flask_babel import gettext as _

from ..errors import Refusal
from .settings import get_setting

CHUNK = 64 * 1024
HEAD = 8192  # what sniffing reads
MAX_NAME = 255
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
# Office and OpenDocument files are ZIP or OLE containers: a detector may only see the container.
ZIP_BASED = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "zip"}
OLE_BASED = {"doc", "xls", "ppt"}
SYNONYMS = {"jpeg": "jpg", "tiff": "tif", "htm": "html"}
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe")


class UploadRefused(Refusal):
    """An upload that is not stored, with the reason for the user."""


class UploadTooLarge(UploadRefused):
    """An upload above the size limit of Settings."""


def clean_text(value: str | None, limit: int) -> str:
    """One line of text without control characters nor bidirectional overrides (U+202E makes
    "fdp.exe" read as "exe.pdf"), spaces collapsed, at most `limit` characters."""
    text = unicodedata.normalize("NFC", value or "")
    # Cc: control characters (NUL included); Cf: format characters, bidi overrides and
    # isolates, zero-width joiners and spaces; Cs: lone surrogates.
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
    return " ".join(text.split())[:limit]


def clean_name(raw: str | None) -> str:
    """The file's own name, without folders, cleaned as `clean_text`; at most 255 characters,
    its extension kept."""
    name = clean_text(PurePosixPath((raw or "").replace("\\", "/")).name, 10_000).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = (stem if keep else name)[:MAX_NAME - len(keep) - 1].rstrip() + (f".{keep}"
                                                                                if keep else "")
    return name[:MAX_NAME]


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """The whole upload, or UploadTooLarge as soon as it passes `limit` bytes."""
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(_("The file is larger than %(size)s (Settings > Documents).",
                                   size=human_size(limit)))
        chunks.append(chunk)
    return b"".join(chunks)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(size // 1024, 1)} KB"


def extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return SYNONYMS.get(suffix, suffix)


def detected_type(data: bytes, name: str) -> str:
    """The content type of an upload named `name`, from its bytes; UploadRefused when its type
    is not allowed (Settings > Documents) or its content is not what its name says."""
    ext = extension(name)
    allowed = [SYNONYMS.get(e, e) for e in get_setting("allowed_file_types")]
    if ext not in allowed:
        raise UploadRefused(_("Files of type “.%(ext)s” are not accepted; allowed: %(allowed)s "
                              "(Settings > Documents).", ext=ext or "?",
                              allowed=", ".join(get_setting("allowed_file_types"))))
    head = data[:HEAD]
    kind = filetype.guess(head)
    if kind is not None:
        found = SYNONYMS.get(kind.extension, kind.extension)
        if found == ext or (ext in ZIP_BASED and found in ZIP_BASED) \
                or (ext in OLE_BASED and found in OLE_BASED):
            return _office_type(ext, kind.mime)
        raise UploadRefused(_("“%(name)s” is not a %(claimed)s file: its content is %(actual)s. "
                              "Nothing was uploaded.", name=name, claimed=ext.upper(),
                              actual=_("a %(kind)s file (%(mime)s)", kind=found.upper(),
                                       mime=kind.mime)))
    actual, description = _unrecognised(head)
    if actual == "text" and ext in TEXT_TYPES:
        return TEXT_TYPES[ext]
    raise UploadRefused(_("“%(name)s” is not a %(claimed)s file: its content is %(actual)s. "
                          "Nothing was uploaded.", name=name, claimed=ext.upper(),
                          actual=description))


def _office_type(ext: str, mime: str) -> str:
    """A container seen as a plain ZIP or OLE file keeps the type its extension names."""
    if ext in (ZIP_BASED | OLE_BASED) and mime in ("application/zip", "application/x-ole-storage"):
        return filetype.get_type(ext=ext).mime if filetype.get_type(ext=ext) else mime
    return mime


def _unrecognised(head: bytes) -> tuple[str, str]:
    """("html" | "text" | "binary", how to name it to the user) for bytes no signature matched."""
    if b"\x00" in head:
        return "binary", _("unrecognised binary data")
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        text = head.decode("latin-1")
        if sum(not (c.isprintable() or c in "\r\n\t") for c in text) > len(text) // 20:
            return "binary", _("unrecognised binary data")
    lowered = text.lstrip("\ufeff \r\n\t").lower().encode()
    if lowered.startswith(_MARKUP) or any(tag in lowered[:2048] for tag in _MARKUP[1:6]):
        return "html", _("an HTML or XML page")
    return "text", _("plain text")
