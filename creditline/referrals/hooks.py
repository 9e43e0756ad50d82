"""Wire the desk into the proposal lifecycle and loan approval (imported once by the app factory)."""
from __future__ import annotations

from ..loans.services import APPROVE_GUARDS
from ..proposals.services import MOVE_HOOKS
from .services import on_proposal_move, second_opinion_guard

if on_proposal_move not in MOVE_HOOKS:
    MOVE_HOOKS.append(on_proposal_move)
if second_opinion_guard not in APPROVE_GUARDS:
    APPROVE_GUARDS.append(second_opinion_guard)
