"""Store uploaded bytes under their SHA-256; the row is added to the caller's transaction."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app

from ..auth.permissions import Actor
from ..errors import ValidationFailed
from ..extensions import db
from .models import StoredFile


def _path_for(digest: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / digest[:2] / digest


def store_file(actor: Actor, data: bytes, filename: str, content_type: str, kind: str,
               field: str = "file") -> StoredFile:
    """Keep the bytes on disk by digest and add a StoredFile row (the caller commits)."""
    if not data:
        raise ValidationFailed("the file is empty", {field: [f"{filename or 'the file'} is empty"]})
    digest = hashlib.sha256(data).hexdigest()
    path = _path_for(digest)
    if not path.exists():
        # Content addressing: the same bytes land at the same place, so a write is idempotent
        # and nothing already stored can be overwritten with other content.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    row = StoredFile(sha256=digest, filename=Path(filename or "upload").name[:255],
                     content_type=content_type or "application/octet-stream", size=len(data),
                     kind=kind, uploaded_by=actor.user_id)
    db.session.add(row)
    db.session.flush()
    return row


def read_file(row: StoredFile) -> bytes:
    """Return a stored file's bytes, checking they still match the digest."""
    data = _path_for(row.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ValidationFailed("the stored file no longer matches its digest",
                               {"file": [f"{row.filename} was altered on disk"]})
    return data
