"""Loan shapes: money as decimal strings, rates as numbers between 0 and 1, dates in ISO 8601."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ..finance.schedules import FREQUENCIES, METHODS, RESCHEDULE_MODES
from ..pagination import PageArgsSchema, page_schema
from ..schemas import CURRENCY, Cents, Id, Money
from .models import LOAN_LIFECYCLE


# The largest amount a Numeric(14, 2) money column holds.
MAX_AMOUNT = Decimal("999999999999.99")


def Amount(**kwargs) -> fields.Decimal:  # type: ignore[no-untyped-def]
    """A signed decimal string in whole cents; the service says why zero or a negative amount is refused."""
    return Cents(as_string=True, places=2, max_abs=MAX_AMOUNT, **kwargs)


class TrancheSchema(Schema):
    date = fields.Date(load_default=None, allow_none=True)
    amount = Amount(required=True)


class LoanCreateSchema(Schema):
    proposal_id = Id(required=True)
    principal = Amount(required=True)
    currency = fields.String(load_default=None, validate=CURRENCY,
                             metadata={"description": "must be the credit line's; the line's by default"})
    annual_rate = fields.Decimal(required=True, metadata={"description": "0.085 for 8.5% a year"})
    tenor_months = fields.Integer(required=True)
    grace_months = fields.Integer(load_default=0)
    frequency = fields.String(load_default="monthly", validate=validate.OneOf(list(FREQUENCIES)))
    method = fields.String(load_default="annuity", validate=validate.OneOf(METHODS))
    fee_per_installment = Amount(load_default=None)
    upfront_fee = Amount(load_default=None)
    disbursement_plan = fields.List(fields.Nested(TrancheSchema), load_default=list)


class LoanSchema(Schema):
    id = Id()
    proposal_id = Id()
    proposal_title = fields.String(attribute="proposal.title")
    enterprise_id = Id(attribute="proposal.enterprise_id")
    credit_line_id = Id(attribute="proposal.credit_line_id")
    bank_id = Id()
    status = fields.String()
    allowed_transitions = fields.List(fields.String())
    currency = fields.String()
    principal = Money()
    annual_rate = fields.Float()
    tenor_months = fields.Integer()
    grace_months = fields.Integer()
    frequency = fields.String()
    method = fields.String()
    fee_per_installment = Money()
    upfront_fee = Money()
    disbursement_plan = fields.List(fields.Dict())
    start_date = fields.Date(allow_none=True)
    disbursed = Money()
    outstanding_principal = Money()
    days_past_due = fields.Integer()
    arrears_as_of = fields.Date(allow_none=True)
    net_annual_savings = Money(allow_none=True)
    annual_debt_service = Money(allow_none=True)
    debt_service_coverage = fields.Float(allow_none=True)
    proposed_by = Id()
    decided_by = Id(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    written_off_by = Id(allow_none=True)
    written_off_at = fields.DateTime(allow_none=True)
    write_off_reason = fields.String(allow_none=True)
    undisbursed = Money()
    cancelled_amount = Money()
    cancelled_by = Id(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancellation_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class LoanQueryArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(LOAN_LIFECYCLE.states))
    proposal_id = Id()


class ApproveSchema(Schema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class WriteOffSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class CancelRestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class DisbursementInSchema(Schema):
    amount = Amount(required=True)
    value_date = fields.Date(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class DisbursementSchema(Schema):
    id = Id()
    loan_id = Id()
    amount = Money()
    value_date = fields.Date()
    reference = fields.String(allow_none=True)
    created_by = Id()
    created_at = fields.DateTime()
    loan = fields.Nested(LoanSchema, attribute="loan")


class PaymentInSchema(Schema):
    amount = Amount(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    value_date = fields.Date(required=True)
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(RESCHEDULE_MODES),
                         metadata={"description": "for a prepayment: shorten the loan or lower the installments"})
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class AllocationLineSchema(Schema):
    number = fields.Integer()
    fee = fields.String()
    interest = fields.String()
    principal = fields.String()


class AllocationSchema(Schema):
    lines = fields.List(fields.Nested(AllocationLineSchema))
    fee = fields.String()
    interest = fields.String()
    principal = fields.String()
    prepayment = fields.String()


class PaymentSchema(Schema):
    id = Id()
    loan_id = Id()
    amount = Money()
    currency = fields.String()
    value_date = fields.Date()
    reference = fields.String(allow_none=True)
    prepayment = Money()
    mode = fields.String(allow_none=True)
    allocation = fields.Nested(AllocationSchema)
    created_by = Id()
    created_at = fields.DateTime()


class PaymentOutSchema(PaymentSchema):
    loan = fields.Nested(LoanSchema)


class InstallmentSchema(Schema):
    number = fields.Integer()
    due_date = fields.Date()
    principal = Money()
    interest = Money()
    fee = Money()
    total = Money()
    balance_after = Money()
    principal_paid = Money()
    interest_paid = Money()
    fee_paid = Money()
    status = fields.String()


class TotalsSchema(Schema):
    principal = Money()
    interest = Money()
    fee = Money()
    total = Money()


class ScheduleSchema(Schema):
    loan_id = Id()
    currency = fields.String()
    status = fields.String()
    pro_forma = fields.Boolean(metadata={"description": "true until the first disbursement fixes the dates"})
    installments = fields.List(fields.Nested(InstallmentSchema))
    totals = fields.Nested(TotalsSchema)


class ScheduleArgsSchema(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]))


LoanPageSchema = page_schema(LoanSchema, "LoanPage")
