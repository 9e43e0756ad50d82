"""What an uploaded file really is, read from its bytes: the allow-list for proposal documents.

The name and the Content-Type a browser sends are the uploader's claims; an executable renamed
``quotation.pdf`` must not reach a credit officer's machine, so the type is decided here from
magic bytes, and for zip containers from the OOXML part that names the main document.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"

ALLOWED = {PDF: "pdf", PNG: "png", JPEG: "jpg", XLSX: "xlsx", DOCX: "docx", CSV: "csv"}
ALLOWED_TEXT = "PDF, PNG, JPEG, XLSX, DOCX or CSV"

# The main part's content type inside [Content_Types].xml tells a workbook from a Word document.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
}
# [Content_Types].xml is a few kilobytes; a larger one is not an Office file we should inflate.
_MAX_CONTENT_TYPES_BYTES = 1 << 20
_TEXT_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class Detected:
    content_type: str
    extension: str


def _ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                return None
            types = archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    for marker, kind in _OOXML_MAIN.items():
        if f'ContentType="{marker}"' in types:
            return kind
    return None


def _is_csv_text(data: bytes, filename: str) -> bool:
    """Plain UTF-8 (or Windows-1252) text without control bytes, named .csv: CSV has no magic bytes."""
    if not filename.lower().endswith(".csv"):
        return False
    sample = data[:_TEXT_SAMPLE]
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a multi-byte character cut by the sample is fine
            try:
                text = sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
        else:
            text = sample[:exc.start].decode("utf-8-sig")
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


def detect(data: bytes, filename: str = "") -> Detected | None:
    """The allowed type the bytes are, or None when they are none of them."""
    if data.startswith(b"%PDF-"):
        kind = PDF
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif data.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif data.startswith(b"PK\x03\x04"):
        found = _ooxml(data)
        if found is None:
            return None
        kind = found
    elif _is_csv_text(data, filename):
        kind = CSV
    else:
        return None
    return Detected(kind, ALLOWED[kind])
