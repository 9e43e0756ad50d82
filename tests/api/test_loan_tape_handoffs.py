"""A loan tape's hand-offs are told in one batch at its end: the same notifications as its steps one by one,
with one UPDATE per kind handled, and its new loans never read back with their schedules."""
from __future__ import annotations

import contextlib
import re

from sqlalchemy import event, select

from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.extensions import db
from creditline.handoffs import AWAITS
from creditline.notifications.models import Notification
from creditline.reports import tape_import

from .test_loan_tape_grants import LINE, _empty_line
from .test_loan_tape_import import _csv, _export, _rows

ENTITIES = ("proposal", "loan", "guarantee", "verification", "grant")


def _tape(client, token_for, prefix: str, guaranteed: bool = True) -> bytes:
    """The story's book on the empty line, its loans named with ``prefix`` (so each tape is its own file)."""
    rows = [dict(r, **{"Credit line": LINE, "Loan ID": f"{prefix}{r['Loan ID']}"})
            for r in _rows(_export(client, token_for("fund_admin")))]
    for r in rows if not guaranteed else []:
        for column in r:
            if column.startswith("Guarantee"):
                r[column] = ""
    return _csv(rows).encode()


def _admin() -> Actor:
    return Actor.of(db.session.scalar(select(User).where(User.email == "admin@fund.example")))


def _told(made: dict) -> list[tuple]:
    """One imported row's notifications, as its owner sees them (ids in the wording left out)."""
    out = []
    for kind in ENTITIES:
        entity_id = made[f"{kind}_id"]
        for n in db.session.scalars(select(Notification).where(Notification.entity_type == kind,
                                                               Notification.entity_id == entity_id)):
            out.append((kind, n.kind, n.user_id, n.resolved_at is not None, n.read_at is not None,
                        re.sub(r"\d+", "#", n.subject), n.url and re.sub(r"\d+", "#", n.url)))
    return sorted(out)


def test_an_imported_tape_leaves_the_notifications_its_steps_would_leave_one_by_one(
        app, client, token_for, story, monkeypatch):  # noqa: F811
    _empty_line(app)
    together, alone = _tape(client, token_for, "A"), _tape(client, token_for, "B")
    with app.app_context():
        batched = tape_import.import_tape(_admin(), together, "together.csv")
        # The same steps with each event chained, and its hand-offs told, as it is recorded.
        monkeypatch.setattr(tape_import, "chained_together", contextlib.nullcontext)
        one_by_one = tape_import.import_tape(_admin(), alone, "alone.csv")
        told = [_told(m) for m in batched["loans"]]
        assert told == [_told(m) for m in one_by_one["loans"]]
        flat = [t for row in told for t in row]
        # Both kinds are there: a step taken within the tape (a paid-out loan's "disburse it") is
        # handled; what only tells (the SME's grant paid) waits to be read.
        assert ("loan", "loan_to_disburse") in {(e, k) for e, k, _, handled, *_ in flat if handled}
        assert ("grant", "grant_paid") in {(e, k) for e, k, _, handled, *_ in flat if not handled}
        db.session.remove()


def test_a_tape_marks_hand_offs_handled_once_per_kind_and_never_reads_its_new_loans_back(
        app, client, token_for, story):  # noqa: F811
    _empty_line(app)
    # Without guarantees: issuing one reads the line's whole exposure, the new loans' schedules too.
    tape = _tape(client, token_for, "C", guaranteed=False)
    seen: list[tuple[str, tuple]] = []
    with app.app_context():
        admin = _admin()

        def note(conn, cursor, statement, parameters, *args):  # noqa: ANN001
            seen.append((" ".join(statement.split()), tuple(parameters or ())))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            summary = tape_import.import_tape(admin, tape, "counted.csv")
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        db.session.remove()
    assert summary["rows"] >= 2
    # One UPDATE per kind of hand-off, not one per event (18 a loan before).
    assert 0 < sum(s.startswith("UPDATE notification") for s, _ in seen) <= len(AWAITS)
    # A loan made by the tape is locked and read again by each service it goes through: from the
    # session, never with its whole schedule selected anew (the schedules read are the line's
    # existing book's, for its guarantee capacity).
    made = {m["loan_id"] for m in summary["loans"]}
    read = {p for s, params in seen if s.startswith("SELECT") and " FROM installment" in s for p in params}
    assert read and not read & made
