"""File names and types as stored at upload, and the types a download may be sent with.

A raw name broke downloads: ``báo-cáo-nước.csv`` is not Latin-1 (the request hung), a CR/LF in a
name split the header (a 500), and U+202E made ``report<U+202E>fdp.exe`` read as
``reportexe.pdf``. And a file served with the uploader's ``text/html`` would run in our origin.
So names lose path parts and control characters when they arrive (``disposition`` sends them as
RFC 6266 ``filename*``), and the type a file is served with comes from a short list.
"""
from __future__ import annotations

import re
import unicodedata

from ..safe_text import strip_unsafe

MAX_NAME_CHARS = 200

# What evidence and documents are (scans, spreadsheets, office files, text); anything else is
# served as bytes to save, never rendered.
SERVED_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff",
    "text/csv", "text/plain", "application/json", "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/msword",
})
OCTET_STREAM = "application/octet-stream"
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


def clean_filename(name: str | None, default: str = "upload") -> str:
    """The last path part of ``name`` without control or direction characters, at most 200 characters."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]  # a Windows browser may send C:\Users\...\file.pdf
    text = strip_unsafe(text).strip().strip(".").strip()
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        text = text[:MAX_NAME_CHARS - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return text or default


def clean_content_type(content_type: str | None) -> str:
    """The uploader's type as a bare lower-case ``type/subtype``, or ``application/octet-stream``."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return bare if _MIME.match(bare) else OCTET_STREAM


def served_type(content_type: str | None) -> str:
    """The type a stored file is sent with: its own if allow-listed, else bytes to save."""
    bare = clean_content_type(content_type)
    return bare if bare in SERVED_TYPES else OCTET_STREAM
