"""The bounds of every figure a proposal is scored on, declared once.

Each :class:`Figure` says what one number is (its label, unit and kind) and which values it takes
(minimum, maximum, whether the minimum itself is allowed, the message when it is not). Two things
are generated from these declarations, so they cannot drift apart:

- the marshmallow fields of the proposal, what-if, enterprise and indicator schemas (hence the
  OpenAPI document, which shows the label as the title and the unit in the description);
- the column-wise check of a batch (:mod:`.batch_checks`), which compares whole columns of raw
  values with the same bounds and leaves only the rows it cannot accept to the schema, so every
  error message is still the schema's.

:data:`AT_MOST` declares the checks across figures (the loan is not larger than the investment).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from marshmallow import fields, validate

from .schemas import MAX_MONEY, MAX_QUANTITY, Count, Money, Quantity, Share

Kind = Literal["money", "quantity", "whole", "share"]
# More people than the largest employer on earth is a typing error, not an SME.
MAX_EMPLOYEES = 5_000_000
OUTPUT_ERROR = "production output must be more than zero"


@dataclass(frozen=True)
class Figure:
    """One number a proposal carries, and the values it may take."""

    name: str
    label: str
    kind: Kind
    unit: str
    low: Decimal
    high: Decimal
    low_inclusive: bool = True
    error: str | None = None   # the message when out of bounds (None: the field kind's own)
    to_score: bool = False     # the engine cannot score a proposal without it

    @property
    def places(self) -> Decimal | None:
        """The quantum a loaded value is rounded to (None: kept as given)."""
        return Decimal("0.01") if self.kind == "money" else None

    def field(self, **kwargs: Any) -> fields.Field:
        """The schema field of this figure; ``kwargs`` say whether it may be absent or null where it is used."""
        kwargs["metadata"] = {"title": self.label, "description": f"{self.label}, in {self.unit}",
                              **kwargs.get("metadata", {})}
        if self.kind == "money":
            field = Money(allow_zero=self.low_inclusive, **kwargs)
            field.validators.append(validate.Range(max=self.high, error="must be at most {max}"))
            return field
        if self.kind == "quantity":
            return Quantity(positive=not self.low_inclusive, error=self.error or "must be zero or more", **kwargs)
        if self.kind == "share":
            return Share(**kwargs)
        if self.error is not None:
            return Count(lo=int(self.low), hi=int(self.high), what=self.unit, **kwargs)
        return fields.Integer(validate=validate.Range(min=int(self.low), max=int(self.high)), **kwargs)


@dataclass(frozen=True)
class AtMost:
    """``name`` may not be larger than ``limit``; ``in_schema``: refused on load, else by the engine."""

    name: str
    limit: str
    message: str
    in_schema: bool


def _money(name: str, label: str, positive: bool = False, to_score: bool = False) -> Figure:
    return Figure(name, label, "money", "the rulebook's currency", Decimal(0), MAX_MONEY,
                  low_inclusive=not positive, to_score=to_score)


PROPOSAL: dict[str, Figure] = {f.name: f for f in (
    _money("investment", "Investment", positive=True, to_score=True),
    _money("eligible_cost", "Eligible cost"),
    _money("loan_amount", "Loan amount", positive=True, to_score=True),
    _money("own_contribution", "Own contribution"),
    Figure("economic_life_years", "Economic life", "whole", "years", Decimal(1), Decimal(50), to_score=True),
    _money("annual_savings", "Annual savings", to_score=True),
    _money("annual_extra_operating_cost", "Annual extra operating cost"),
    Figure("implementation_months", "Implementation time", "whole", "months", Decimal(0), Decimal(120)),
)}

ENTERPRISE: dict[str, Figure] = {f.name: f for f in (
    Figure("employees", "Employees", "whole", "people", Decimal(1), Decimal(MAX_EMPLOYEES),
           error=f"must be from 1 to {MAX_EMPLOYEES:,} people"),
    _money("annual_turnover", "Annual turnover"),
    _money("total_assets", "Total assets"),
    Figure("domestic_ownership_share", "Domestic ownership share", "share", "a share from 0 to 1",
           Decimal(0), Decimal(1)),
)}

INDICATOR: dict[str, Figure] = {f.name: f for f in (
    # A zero baseline has no specific consumption to improve on (the improvement divides by it).
    Figure("baseline_quantity", "Baseline quantity", "quantity", "the stream's unit per year", Decimal(0),
           MAX_QUANTITY, low_inclusive=False, error="the baseline quantity must be more than zero", to_score=True),
    Figure("baseline_output", "Baseline output", "quantity", "the output unit per year", Decimal(0),
           MAX_QUANTITY, low_inclusive=False, error=OUTPUT_ERROR, to_score=True),
    Figure("projected_quantity", "Projected quantity", "quantity", "the stream's unit per year", Decimal(0),
           MAX_QUANTITY, error="must be zero or more", to_score=True),
    Figure("projected_output", "Projected output", "quantity", "the output unit per year", Decimal(0),
           MAX_QUANTITY, low_inclusive=False, error=OUTPUT_ERROR, to_score=True),
)}

AT_MOST: tuple[AtMost, ...] = (
    AtMost("loan_amount", "investment", "the loan cannot be larger than the investment", in_schema=True),
    # Drafts may carry it for now; the engine refuses to score it.
    AtMost("eligible_cost", "investment", "the eligible cost cannot exceed the investment", in_schema=False),
)
