"""Store uploaded bytes under their SHA-256; the row is added to the caller's transaction."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app

from ..auth.permissions import Actor
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from .models import StoredFile
from .names import clean_content_type, clean_filename


def _path_for(digest: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / digest[:2] / digest


def store_file(actor: Actor, data: bytes, filename: str, content_type: str, kind: str,
               field: str = "file") -> StoredFile:
    """Keep the bytes on disk by digest and add a StoredFile row (the caller commits)."""
    if not data:
        raise ValidationFailed("the file is empty", {field: [f"{filename or 'the file'} is empty"]})
    digest = hashlib.sha256(data).hexdigest()
    path = _path_for(digest)
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        # Content addressing: the same bytes land at the same place, so a write is idempotent
        # and nothing already stored can be overwritten with other content; bytes altered on
        # disk are repaired by the next upload of the original.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    # The name and type are shown and sent back later: stored clean (no path, no control or
    # direction characters, a bare type), the bytes untouched.
    row = StoredFile(sha256=digest, filename=clean_filename(filename),
                     content_type=clean_content_type(content_type), size=len(data),
                     kind=kind, uploaded_by=actor.user_id)
    db.session.add(row)
    db.session.flush()
    return row


def read_file(row: StoredFile) -> bytes:
    """Return a stored file's bytes, refusing (409) bytes that no longer match the digest or are gone."""
    try:
        data = _path_for(row.sha256).read_bytes()
    except FileNotFoundError:
        raise Conflict(f"{row.filename} is missing from the file store", current_state="missing",
                       allowed=[], errors={"file": [f"no bytes stored for SHA-256 {row.sha256}"]}) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != row.sha256:
        # Evidence must be what was uploaded; serving altered bytes would defeat the digest.
        raise Conflict(f"{row.filename} no longer matches its SHA-256 and is not served", current_state="altered",
                       allowed=[], errors={"file": [f"stored {row.sha256}, now {actual}"]})
    return data
