"""The confirmation step before money moves: the figures, who acts and on which day, then one button.

Each money-moving page action has one route: GET shows this step (filled from the form that led
to it), POST does it. A refused POST shows the same step again with its errors and the values
entered, so nothing typed is lost.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import render_template, request
from flask_login import current_user

from . import clock
from .auth.current import current_actor
from .auth.permissions import require_role
from .form_errors import FormErrors


@dataclass(frozen=True)
class Input:
    """One input the person can still change on the confirmation step (the day, a reference, a comment)."""

    name: str
    label: str
    kind: str = "text"  # text | date | textarea | select
    required: bool = False
    choices: Sequence[tuple[str, str]] = ()
    hint: str | None = None


@dataclass(frozen=True)
class Confirmation:
    """What is about to happen, in figures a credit officer or the fund checks before pressing the button."""

    title: str
    action_url: str
    back_url: str
    button: str
    figures: Sequence[tuple[str, str]]
    inputs: Sequence[Input] = ()
    note: str | None = None
    danger: bool = False
    hidden: dict[str, str] = field(default_factory=dict)
    # Who may take the step: anyone else gets 403 before seeing a button they cannot use.
    roles: tuple[str, ...] = ()
    action: str = "do this"


def values_of(confirmation: Confirmation) -> dict[str, str]:
    """The inputs as the person left them (the form before, or the refused POST); dates default to today."""
    today = clock.today().isoformat()
    out = {}
    for i in confirmation.inputs:
        given = request.values.get(i.name)
        out[i.name] = given if given is not None else (today if i.kind == "date" else "")
    return out


def render_confirmation(confirmation: Confirmation, errors: FormErrors | None = None) -> tuple[str, int]:
    """The confirmation page (422 when it comes back with errors); 403 for someone without the role."""
    if confirmation.roles:
        require_role(current_actor(), *confirmation.roles, action=confirmation.action)
    actor = {"name": current_user.name, "email": current_user.email,
             "organisation": current_user.organisation.name}
    return render_template("_confirm.html", c=confirmation, values=values_of(confirmation), actor=actor,
                           errors=errors or FormErrors(), today=clock.today().isoformat()), 422 if errors else 200
