"""Explicit lifecycles: each entity's allowed transitions live in one table, checked here."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidTransition


@dataclass(frozen=True)
class Lifecycle:
    """A named state machine: ``transitions[state]`` lists the states it may move to."""

    entity: str
    transitions: dict[str, tuple[str, ...]]
    initial: str
    states: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        seen = set(self.transitions)
        for targets in self.transitions.values():
            seen.update(targets)
        object.__setattr__(self, "states", tuple(sorted(seen)))

    def allowed(self, current: str) -> list[str]:
        """List the states reachable in one step from ``current``."""
        return list(self.transitions.get(current, ()))

    def can(self, current: str, target: str) -> bool:
        """Tell whether ``current -> target`` is allowed."""
        return target in self.transitions.get(current, ())

    def check(self, current: str, target: str) -> None:
        """Raise InvalidTransition (409) unless ``current -> target`` is allowed."""
        if not self.can(current, target):
            raise InvalidTransition(self.entity, current, target, self.allowed(current))
