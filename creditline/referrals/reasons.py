"""Pure referral logic: which tasks an assessment's trace asks for, and the NCPC's offset of worse indicators.

No Flask and no database: the trace and metrics are the assessment's stored JSON.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..measurement.offsets import OffsetInputs, net_basis, net_improvement
from ..measurement.sufficiency import OFFSET_METHODS

# Who owns each reason, and the roles that may decide it (the scope check narrows to the organisation).
OWNERS = {"worse_indicator": "ncpc", "judgement": "ncpc", "double_funding": "fund", "second_opinion": "second_opinion"}
OWNER_ROLES = {
    "ncpc": ("verifier", "senior_verifier"),
    "fund": ("fund_admin",),
    # Whoever gives the second opinion records it: the centre, the lending bank or the fund.
    "second_opinion": ("verifier", "senior_verifier", "bank_officer", "credit_committee", "fund_admin"),
}
REASON_LABELS = {
    "worse_indicator": "An indicator gets worse: the NCPC sets how gains and losses offset",
    "double_funding": "Another incentive was declared: the fund checks double funding",
    "second_opinion": "A second opinion from a reference centre abroad is required",
    "judgement": "The score needs a person's judgement",
}
SECOND_OPINION_NOTE = "second-opinion"


@dataclass(frozen=True)
class TaskSpec:
    reason: str
    rule: str
    message: str

    @property
    def owner(self) -> str:
        return OWNERS[self.reason]

    @property
    def blocking(self) -> bool:
        return self.reason != "second_opinion"


def _reason_of(line: Mapping[str, Any]) -> str:
    inputs = line.get("inputs") or {}
    if "worse_count" in inputs:
        return "worse_indicator"
    if "other_incentives_count" in inputs:
        return "double_funding"
    return "judgement"


def tasks_for(decision: str, trace: list[Mapping[str, Any]]) -> list[TaskSpec]:
    """The tasks a referred assessment asks for: one per ``refer`` line, plus the second opinion.

    A proposal referred by its score alone (no gate referred it) gets one judgement task with the
    decision line's explanation, so it never sits without an owner.
    """
    if decision != "referred":
        return []
    specs = [TaskSpec(_reason_of(t), t["rule"], t["message"]) for t in trace if t.get("outcome") == "refer"]
    if not specs:
        line = next((t for t in trace if t.get("kind") == "decision"), {"rule": "decision", "message": "referred"})
        specs.append(TaskSpec("judgement", line["rule"], line["message"]))
    specs += [TaskSpec("second_opinion", t["rule"], t["message"]) for t in trace
              if t.get("kind") == "note" and t.get("rule") == SECOND_OPINION_NOTE]
    return specs


@dataclass(frozen=True)
class Offset:
    method: str
    main: str
    main_improvement: float
    losses: dict[str, float]      # each worse indicator's (negative) improvement
    net: float | None             # None when the method cannot say (a new stream)
    basis: str

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "main_indicator": self.main, "main_improvement": self.main_improvement,
                "losses": self.losses, "net_improvement": self.net, "basis": self.basis}


def offset_of(metrics: Mapping[str, Any], main: str, factors: Mapping[str, float], method: str) -> Offset:
    """The projected net improvement of an assessment under one of the verification's offset methods.

    The same method the verification will apply to measured data, here on the projected figures,
    so the NCPC sees what its choice means before fixing it.
    """
    if method not in OFFSET_METHODS:
        raise ValueError(f"unknown offset method {method!r}; expected one of {', '.join(OFFSET_METHODS)}")
    improvement: dict[str, float] = {k: float(v) for k, v in (metrics.get("improvement") or {}).items()}
    if main not in improvement:
        raise ValueError(f"the assessment has no improvement for the main indicator {main!r}")
    specific = metrics.get("specific_consumption") or {}
    names = list(improvement)
    base = np.array([float(specific.get(n, {}).get("baseline", np.nan)) for n in names])
    now = np.array([float(specific.get(n, {}).get("projected", np.nan)) for n in names])
    new_stream = (base == 0) & (now > 0)
    x = OffsetInputs(method=method, loan_start=np.array([0]), main_row=np.array([names.index(main)]),
                     is_main=np.array([n == main for n in names]), improvement=np.array([improvement[n] for n in names]),
                     new_stream=new_stream, baseline_specific=base, reporting_specific=now,
                     factor=np.array([float(factors.get(n, np.nan)) for n in names]))
    net = float(net_improvement(x)[0])
    worse = [n for n in names if improvement[n] < 0 or new_stream[names.index(n)]]
    energy = [n for n in names if n in factors]
    return Offset(method, main, improvement[main], {n: improvement[n] for n in worse if n != main},
                  net if math.isfinite(net) else None, net_basis(method, main, main in factors, energy, worse))
