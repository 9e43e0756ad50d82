"""Guarantee shapes: money as decimal strings in whole cents, shares as numbers between 0 and 1."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..loans.schemas import Amount
from ..pagination import PageArgsSchema, page_schema
from ..schemas import CURRENCY, Day, Id, Money, Share, Text, UtcDateTime
from .models import GUARANTEE_LIFECYCLE


class RecoverySchema(Schema):
    id = Id(dump_only=True)
    amount = Amount(required=True, metadata={"description": "whole cents; applied to the loan's principal"})
    currency = Text(load_only=True, validate=CURRENCY)
    payment_id = Id(dump_only=True, allow_none=True, metadata={"description": "the loan payment it was booked as"})
    fund_part = Money(dump_only=True)
    bank_part = Money(dump_only=True)
    value_date = Day(past_only=True)
    reference = Text(allow_none=True, validate=validate.Length(max=100))


class GuaranteeSchema(Schema):
    id = Id()
    loan_id = Id()
    credit_line_id = Id()
    currency = Text()
    coverage_share = fields.Float()
    cap = Money(allow_none=True)
    other_guarantors_share = fields.Float()
    covered_amount = Money()
    fee_rate = fields.Float()
    fee = Money()
    proceeds_to_approved_items = fields.Boolean()
    valid_until = Day(allow_none=True)
    status = Text()
    outstanding_at_default = Money(allow_none=True)
    claim_amount = Money(allow_none=True)
    recovered = Money()
    recovered_by_fund = Money()
    recoveries = fields.List(fields.Nested(RecoverySchema))
    requested_by = Id(allow_none=True)
    requested_at = UtcDateTime(allow_none=True)
    issued_by = Id(allow_none=True)
    issued_at = UtcDateTime(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    declined_at = UtcDateTime(allow_none=True)
    decline_reason = Text(allow_none=True)
    called_at = UtcDateTime(allow_none=True)
    paid_at = UtcDateTime(allow_none=True)
    paid_on = fields.Date(allow_none=True, metadata={"description": "the claim payment's value date"})
    payment_reference = Text(allow_none=True, metadata={"description": "the fund's transfer reference"})
    allowed_transitions = fields.Function(lambda g: GUARANTEE_LIFECYCLE.allowed(g.status))


class IssueSchema(Schema):
    issued_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day the fund issued it; today by default, never later, not before the loan's approval"})


class PayClaimSchema(Schema):
    reference = Text(load_default=None, validate=validate.Length(min=1, max=64), metadata={
        "description": "the fund's transfer reference; the guarantee's reference (G-000012) when none is given"})
    paid_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the payment's value date; today by default, never later, not before the call"})


class DeclineGuaranteeSchema(Schema):
    reason = Text(required=True, multiline=True, validate=validate.Length(min=3, max=2000))


class RequestSchema(Schema):
    coverage_share = Share(metadata={"description": "default: the rulebook's coverage"})
    other_guarantors_share = Share(load_default=0)
    proceeds_to_approved_items = fields.Boolean(load_default=True)


class ListArgs(PageArgsSchema):
    status = Text(validate=validate.OneOf(GUARANTEE_LIFECYCLE.states))
    credit_line_id = Id()


class ExposureSchema(Schema):
    credit_line_id = Id()
    currency = Text()
    capacity = Money()
    issued = Money()
    requested = Money(metadata={"description": "cover asked in requests the fund has not decided"})
    outstanding_exposure = Money()
    called = Money()
    paid = Money()
    recovered = Money()
    committed = Money()
    remaining_capacity = fields.Decimal(as_string=True, places=2)
    guarantees = fields.Integer()
    live = fields.Integer()


GuaranteePage = page_schema(GuaranteeSchema, "GuaranteePage")
