"""Loan shapes: money as decimal strings, rates as numbers between 0 and 1, dates in ISO 8601."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ..finance.schedules import FREQUENCIES, METHODS, RESCHEDULE_MODES
from ..pagination import PageArgsSchema, page_schema
from ..schemas import CURRENCY, Cents, Count, Day, Id, Money, Rate, Text, UtcDateTime
from .models import LOAN_LIFECYCLE


# The longest loan a credit line finances: 30 years.
MAX_TENOR_MONTHS = 360
# The largest amount a Numeric(14, 2) money column holds.
MAX_AMOUNT = Decimal("999999999999.99")


def Amount(**kwargs) -> fields.Decimal:  # type: ignore[no-untyped-def]
    """A signed decimal string in whole cents; the service says why zero or a negative amount is refused."""
    return Cents(as_string=True, places=2, max_abs=MAX_AMOUNT, **kwargs)


class TrancheSchema(Schema):
    date = Day(load_default=None, allow_none=True)
    amount = Amount(required=True)


class LoanCreateSchema(Schema):
    proposal_id = Id(required=True)
    principal = Amount(required=True)
    currency = Text(load_default=None, validate=CURRENCY,
                             metadata={"description": "must be the credit line's; the line's by default"})
    # finance.schedules.check_rate names the 0..1 bound together with the other term errors.
    annual_rate = Rate(required=True, validate=(), metadata={"description": "0.085 for 8.5% a year"})
    tenor_months = Count(lo=1, hi=MAX_TENOR_MONTHS, what="months (30 years)", required=True)
    grace_months = Count(lo=0, hi=MAX_TENOR_MONTHS - 1, what="months", load_default=0)
    frequency = Text(load_default="monthly", validate=validate.OneOf(list(FREQUENCIES)))
    method = Text(load_default="annuity", validate=validate.OneOf(METHODS))
    fee_per_installment = Amount(load_default=None)
    upfront_fee = Amount(load_default=None)
    disbursement_plan = fields.List(fields.Nested(TrancheSchema), load_default=list)


class LoanSchema(Schema):
    id = Id()
    proposal_id = Id()
    proposal_title = Text(attribute="proposal.title")
    enterprise_id = Id(attribute="proposal.enterprise_id")
    credit_line_id = Id(attribute="proposal.credit_line_id")
    bank_id = Id()
    status = Text()
    allowed_transitions = fields.List(Text())
    currency = Text()
    principal = Money()
    annual_rate = fields.Float()
    tenor_months = fields.Integer()
    grace_months = fields.Integer()
    frequency = Text()
    method = Text()
    fee_per_installment = Money()
    upfront_fee = Money()
    disbursement_plan = fields.List(fields.Dict())
    start_date = Day(allow_none=True)
    disbursed = Money()
    outstanding_principal = Money()
    days_past_due = fields.Integer()
    arrears_as_of = Day(allow_none=True)
    net_annual_savings = Money(allow_none=True)
    annual_debt_service = Money(allow_none=True)
    debt_service_coverage = fields.Float(allow_none=True)
    proposed_by = Id()
    decided_by = Id(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    decline_reason = Text(allow_none=True)
    write_off_proposed_by = Id(allow_none=True, metadata={"description": "the bank officer who proposed the write-off"})
    write_off_proposed_at = UtcDateTime(allow_none=True)
    write_off_reason = Text(allow_none=True, metadata={"description": "the proposer's reason for writing the loan off"})
    written_off_by = Id(allow_none=True, metadata={"description": "the credit committee member who confirmed the write-off"})
    written_off_at = UtcDateTime(allow_none=True)
    undisbursed = Money()
    cancelled_amount = Money()
    cancelled_by = Id(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    cancellation_reason = Text(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class LoanQueryArgsSchema(PageArgsSchema):
    status = Text(validate=validate.OneOf(LOAN_LIFECYCLE.states))
    proposal_id = Id()


DECIDED_ON = {"description": "the day the committee decided; today by default, never later, not before submission"}


class ApproveSchema(Schema):
    comment = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=2000))
    decided_on = fields.Date(load_default=None, allow_none=True, metadata=DECIDED_ON)


class DeclineSchema(Schema):
    reason = Text(required=True, multiline=True, validate=validate.Length(min=3, max=2000))
    decided_on = fields.Date(load_default=None, allow_none=True, metadata=DECIDED_ON)


class WriteOffSchema(Schema):
    reason = Text(required=True, multiline=True, validate=validate.Length(min=3, max=2000))


class CancelRestSchema(Schema):
    reason = Text(required=True, multiline=True, validate=validate.Length(min=3, max=2000))


class DisbursementInSchema(Schema):
    amount = Amount(required=True)
    # The day the money was paid out: today by default, never later (the service names today).
    value_date = Day(load_default=None, allow_none=True, days_ahead=366)
    reference = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class DisbursementSchema(Schema):
    id = Id()
    loan_id = Id()
    amount = Money()
    value_date = Day()
    reference = Text(allow_none=True)
    created_by = Id()
    created_at = UtcDateTime()
    loan = fields.Nested(LoanSchema, attribute="loan")


class PaymentInSchema(Schema):
    amount = Amount(required=True)
    currency = Text(required=True, validate=CURRENCY)
    value_date = Day(load_default=None, allow_none=True)  # the service refuses a future day, naming today
    mode = Text(load_default=None, allow_none=True, validate=validate.OneOf(RESCHEDULE_MODES),
                         metadata={"description": "for a prepayment: shorten the loan or lower the installments"})
    reference = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class AllocationLineSchema(Schema):
    number = fields.Integer()
    fee = Text()
    interest = Text()
    principal = Text()


class AllocationSchema(Schema):
    lines = fields.List(fields.Nested(AllocationLineSchema))
    fee = Text()
    interest = Text()
    principal = Text()
    prepayment = Text()


class PaymentSchema(Schema):
    id = Id()
    loan_id = Id()
    amount = Money()
    currency = Text()
    value_date = Day()
    reference = Text(allow_none=True)
    prepayment = Money()
    mode = Text(allow_none=True)
    allocation = fields.Nested(AllocationSchema)
    created_by = Id()
    created_at = UtcDateTime()


class PaymentOutSchema(PaymentSchema):
    loan = fields.Nested(LoanSchema)


class InstallmentSchema(Schema):
    number = fields.Integer()
    due_date = Day()
    principal = Money()
    interest = Money()
    fee = Money()
    total = Money()
    balance_after = Money()
    principal_paid = Money()
    interest_paid = Money()
    fee_paid = Money()
    status = Text()


class TotalsSchema(Schema):
    principal = Money()
    interest = Money()
    fee = Money()
    total = Money()


class ScheduleSchema(Schema):
    loan_id = Id()
    currency = Text()
    status = Text()
    pro_forma = fields.Boolean(metadata={"description": "true until the first disbursement fixes the dates"})
    installments = fields.List(fields.Nested(InstallmentSchema))
    totals = fields.Nested(TotalsSchema)


class ScheduleArgsSchema(Schema):
    format = Text(load_default=None, validate=validate.OneOf(["json", "csv"]))


LoanPageSchema = page_schema(LoanSchema, "LoanPage")
