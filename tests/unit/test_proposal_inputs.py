"""One declaration per figure: the schema field and the batch's column check both follow it."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError

from creditline.enterprises.schemas import EnterpriseSchema
from creditline.proposals.schemas import IndicatorSchema, ProposalBodySchema
from creditline.scoring.batch_checks import RULES, numbers_ok
from creditline.scoring.batch_fast import fast_check
from creditline.proposal_inputs import AT_MOST, ENTERPRISE, INDICATOR, PROPOSAL, Figure

from .rule_data import book, row

SCHEMAS = (("", PROPOSAL, ProposalBodySchema), ("enterprise.", ENTERPRISE, EnterpriseSchema),
           ("indicators.", INDICATOR, IndicatorSchema))
FIGURES = [(prefix, f, schema) for prefix, figures, schema in SCHEMAS for f in figures.values()]


def probes(f: Figure) -> list[tuple[Any, bool]]:
    """Values at and just past each bound, with whether the declaration allows them."""
    step = Decimal(1) if f.kind == "whole" else Decimal("0.01")
    low, high = f.low, f.high
    return [(str(low), f.low_inclusive), (str(low + step), True), (str(low - step), False),
            (str(high), True), (str(high + step), False)]


def schema_accepts(schema: type, name: str, value: Any) -> bool:
    try:
        schema(partial=True).load({name: value})
    except ValidationError as exc:
        assert name in exc.messages, exc.messages
        return False
    return True


@pytest.mark.parametrize(("prefix", "figure", "schema"), FIGURES, ids=[p + f.name for p, f, _ in FIGURES])
def test_schema_field_and_column_check_follow_the_declaration(prefix, figure, schema):
    values = probes(figure)
    ok, _ = numbers_ok([v for v, _ in values], RULES[prefix + figure.name])
    for (value, allowed), column_ok in zip(values, ok.tolist()):
        assert schema_accepts(schema, figure.name, value) is allowed, value
        # The column check never accepts what the declaration refuses (it may leave a value to the schema).
        assert not column_ok or allowed, value
    # Plain values inside the bounds are decided column-wise (longer than float64 holds: by the schema).
    assert ok[1] and (ok[3] or len(str(figure.high)) > 15)


def test_the_label_and_unit_reach_the_openapi_field():
    field = ProposalBodySchema().fields["economic_life_years"]
    assert field.metadata["title"] == "Economic life"
    assert "years" in field.metadata["description"]


def test_cross_checks_are_declared_once_for_the_schema_and_the_batch():
    loan = next(c for c in AT_MOST if c.name == "loan_amount")
    with pytest.raises(ValidationError) as exc:
        ProposalBodySchema().load({"investment": "100.00", "loan_amount": "100.01"})
    assert exc.value.messages == {"loan_amount": [loan.message]}
    rows = [row(investment="1000.00", loan_amount="900.00", eligible_cost="1000.01"),
            row(investment="1000.00", loan_amount="1000.01", eligible_cost="900.00"),
            row(investment="1000.00", loan_amount="1000.00", eligible_cost="1000.00")]
    assert fast_check(book("gctf-vn"), rows).ok.tolist() == [False, False, True]
