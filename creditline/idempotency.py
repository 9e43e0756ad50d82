"""``Idempotency-Key`` on the POSTs that move money: a retry gets the first answer and moves nothing.

Page forms that move money send the same key as a hidden ``idempotency_key`` field (``form_key()``
in templates), so a form posted twice records once.

A client that lost the answer to "record this payment" cannot tell whether it landed; it
retries with the same key. Keys are scoped per user. The first request with a key claims it
(a row committed before any work starts); the work and the stored answer then commit together
in one unit of work, so a key is either answered or free again:

- the same key, user, route and body again: the stored status and body, nothing runs;
- the same key with another route or body: 422, nothing runs;
- the same key while the first request still runs: 409 "in progress";
- a request that fails (4xx, 5xx) frees its key: it moved nothing, so a retry runs afresh.
"""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from typing import Any, Callable

from flask import Response, make_response, request
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .database import utcnow
from .errors import Conflict, ValidationFailed
from .extensions import db
from .unit_of_work import transaction

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
FORM_FIELD = "idempotency_key"
# The OpenAPI parameter the money-moving routes document (flask-smorest ``@blp.doc``).
HEADER_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Any unique string (e.g. a UUID) per intended operation: a retry with the same key returns "
                   "the first answer and moves nothing; the same key with another body is refused (422); "
                   "while the first request runs, 409."}]}


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    # Method, path and a hash of the body: what the key was first used for.
    route: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # in_progress | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _fingerprint() -> tuple[str, str]:
    return f"{request.method} {request.path}", hashlib.sha256(request.get_data()).hexdigest()


def _claim(user_id: int, key: str, route: str, digest: str) -> IdempotencyKey | None:
    """Claim the key for this request (committed at once); return the earlier row if it was taken."""
    try:
        with transaction():
            db.session.add(IdempotencyKey(user_id=user_id, key=key, route=route, request_hash=digest,
                                          status="in_progress"))
        return None
    except IntegrityError:
        with transaction():
            row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                                 IdempotencyKey.key == key))
            if row is None:  # freed by a failed first request in between: claim it again
                return _claim(user_id, key, route, digest)
            db.session.expunge(row)
            return row


def _replay(row: IdempotencyKey, route: str, digest: str) -> Response:
    if row.route != route or row.request_hash != digest:
        raise ValidationFailed(f"the {HEADER} was already used for another request",
                               {HEADER: [f"already used for {row.route} with another body; use a new key "
                                         "for a new operation"]})
    if row.status != "done":
        raise Conflict(f"a request with this {HEADER} is still in progress; retry when it has finished",
                       current_state="in_progress", allowed=[])
    response = Response(row.response_body, status=row.response_status, mimetype=row.response_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a money-moving POST honour ``Idempotency-Key`` (put it right under ``@blp.route``'s method)."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        route, digest = _fingerprint()  # reads (and keeps) the body before a form is parsed from it
        # A page form carries its key in a hidden field, new each time the form is shown: the same
        # form posted twice (a double click, a refresh) records the money once.
        key = request.headers.get(HEADER) or request.form.get(FORM_FIELD)
        if key is None:
            return view(*args, **kwargs)
        from .auth.current import current_actor

        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(f"invalid {HEADER}", {HEADER: [f"give 1 to {MAX_KEY_LENGTH} characters"]})
        user_id = current_actor().user_id
        earlier = _claim(user_id, key, route, digest)
        if earlier is not None:
            return _replay(earlier, route, digest)
        try:
            # The service joins this unit: its changes and the stored answer commit together.
            with transaction():
                response = _as_response(view(*args, **kwargs))
                if response.status_code >= 400:
                    raise _Failed(response)
                row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                                     IdempotencyKey.key == key))
                row.status, row.response_status = "done", response.status_code
                row.response_body, row.response_type = response.get_data(as_text=True), response.mimetype
            return response
        except _Failed as failed:
            _free(user_id, key)
            return failed.response
        except BaseException:
            _free(user_id, key)
            raise
    return wrapper


class _Failed(Exception):
    """An error answer returned (not raised) by a view: roll back and free the key."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def _as_response(result: Any) -> Response:
    return make_response(result)


def _free(user_id: int, key: str) -> None:
    with transaction():
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                        IdempotencyKey.key == key))
