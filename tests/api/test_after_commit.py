"""Work asked to run after commit (e-mail) runs once the outermost unit has committed, never after a rollback."""
from __future__ import annotations

import pytest

from creditline.unit_of_work import after_commit, transaction


def test_after_commit_waits_for_the_outermost_unit_and_skips_a_rollback(ctx):
    ran: list[str] = []
    assert after_commit(lambda: ran.append("outside")) is False  # no unit: nothing is scheduled
    with transaction():
        with transaction():
            assert after_commit(lambda: ran.append("inner")) is True
        assert ran == []  # the inner unit joined the outer one: nothing is committed yet
    assert ran == ["inner"]

    with pytest.raises(RuntimeError):
        with transaction():
            after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("the action fails")
    assert ran == ["inner"]


def test_a_failing_follow_up_does_not_undo_the_action(ctx, caplog):
    ran: list[str] = []
    with transaction():
        after_commit(lambda: 1 / 0)
        after_commit(lambda: ran.append("next"))
    assert ran == ["next"] and "after-commit work failed" in caplog.text
