"""Proposal shapes (design §5): drafts may be partial; submission validates in the service."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..enterprises.schemas import EnterpriseSchema
from ..pagination import PageArgsSchema, page_schema
from ..rules.costs import COST_CATEGORIES
from ..schemas import CURRENCY, Id, Money, Text, UtcDateTime
from ..proposal_inputs import AT_MOST, INDICATOR, PROPOSAL
from ..vocabulary import CP_OPTIONS, STREAM_UNITS, STREAMS, TECHNOLOGY_READINESS
from .documents import missing_documents
from .models import PROPOSAL_LIFECYCLE

# The columns are Numeric(16, 2): larger figures are typing errors anyway.
MAX_AMOUNT = Decimal("99999999999999.99")


def Amount(**kwargs) -> fields.Decimal:  # type: ignore[no-untyped-def]
    """Money (a decimal string, never NaN or infinite) that fits its column."""
    field = Money(**kwargs)
    field.validators.append(validate.Range(max=MAX_AMOUNT, error="must be at most {max}"))
    return field



class IndicatorSchema(Schema):
    stream = Text(required=True, validate=validate.OneOf(STREAMS, error="unknown indicator stream '{input}'"))
    unit = Text(required=True)
    # A zero baseline has no specific consumption to improve on (the improvement divides by it).
    baseline_quantity = INDICATOR["baseline_quantity"].field(required=True)
    baseline_output = INDICATOR["baseline_output"].field(required=True)
    projected_quantity = INDICATOR["projected_quantity"].field(required=True)
    projected_output = INDICATOR["projected_output"].field(required=True)

    @validates_schema
    def _unit_fits_stream(self, data, **_):
        stream, unit = data.get("stream"), data.get("unit")
        if stream in STREAM_UNITS and unit and unit != STREAM_UNITS[stream]:
            raise ValidationError(f"{stream} is measured in {STREAM_UNITS[stream]}, not {unit}", "unit")


class TechnologySchema(Schema):
    description = Text(load_default="", multiline=True, validate=validate.Length(max=2000))
    supplier = Text(load_default="", validate=validate.Length(max=200))
    readiness = Text(load_default=None, allow_none=True,
                              validate=validate.OneOf(TECHNOLOGY_READINESS))
    class_ = Text(data_key="class", attribute="class", load_default=None, allow_none=True)


class IncentiveSchema(Schema):
    source = Text(required=True, validate=validate.Length(min=2, max=200))
    amount = Amount(load_default=None, allow_none=True)
    description = Text(load_default="", multiline=True, validate=validate.Length(max=2000))


class CostItemSchema(Schema):
    """One line of the investment budget; the rulebook says which categories are eligible."""

    category = Text(required=True, validate=validate.OneOf(
        COST_CATEGORIES, error="unknown cost category '{input}' (known: {choices})"))
    description = Text(load_default="", multiline=True, validate=validate.Length(max=500))
    amount = Amount(required=True)


class ProposalBodySchema(Schema):
    """The proposal body of design §5; every field optional so drafts can be saved."""

    credit_line_id = Id()
    enterprise_id = Id()
    title = Text(validate=validate.Length(min=3, max=200))
    description = Text(allow_none=True, multiline=True, validate=validate.Length(max=5000))
    cp_options = fields.List(Text(validate=validate.OneOf(
        CP_OPTIONS, error="unknown CP option type '{input}'")))
    currency = Text(validate=CURRENCY)
    investment = PROPOSAL["investment"].field(allow_none=True)
    eligible_cost = PROPOSAL["eligible_cost"].field(allow_none=True)
    loan_amount = PROPOSAL["loan_amount"].field(allow_none=True)
    own_contribution = PROPOSAL["own_contribution"].field(allow_none=True)
    economic_life_years = PROPOSAL["economic_life_years"].field(allow_none=True)
    annual_savings = PROPOSAL["annual_savings"].field(allow_none=True)
    annual_extra_operating_cost = PROPOSAL["annual_extra_operating_cost"].field(allow_none=True)
    implementation_months = PROPOSAL["implementation_months"].field(allow_none=True)
    technology = fields.Nested(TechnologySchema)
    output_unit = Text(allow_none=True, validate=validate.Length(min=1, max=32))
    main_indicator = Text(allow_none=True, validate=validate.OneOf(STREAMS))
    indicators = fields.List(fields.Nested(IndicatorSchema))
    other_incentives = fields.List(fields.Nested(IncentiveSchema))
    cost_items = fields.List(fields.Nested(CostItemSchema), allow_none=True, metadata={
        "description": "the budget by category; when given, eligible_cost is the sum of the eligible items"})
    bank_id = Id(allow_none=True)

    @validates_schema
    def _amounts_fit(self, data, **_):
        for check in AT_MOST:
            value, limit = data.get(check.name), data.get(check.limit)
            if check.in_schema and value is not None and limit is not None and value > limit:
                raise ValidationError(check.message, check.name)
        # Loaded partially (batch rows) an indicator may lack its stream: the engine names that one.
        streams = [i["stream"] for i in data.get("indicators", []) if "stream" in i]
        if len(streams) != len(set(streams)):
            raise ValidationError("each stream may appear once", "indicators")


class ProposalCreateSchema(ProposalBodySchema):
    credit_line_id = Id(required=True)
    enterprise_id = Id(required=True)
    title = Text(required=True, validate=validate.Length(min=3, max=200))


class DocumentSchema(Schema):
    id = Id()
    kind = Text()
    filename = Text(attribute="file.filename")
    sha256 = Text(attribute="file.sha256")
    size = fields.Integer(attribute="file.size")
    content_type = Text(attribute="file.content_type", metadata={"description": "detected from the bytes"})


class DocumentCheckBodySchema(Schema):
    status = Text(required=True, validate=validate.OneOf(("checked", "not_acceptable")))
    note = Text(allow_none=True, multiline=True, validate=validate.Length(max=2000),
                         metadata={"description": "required when not acceptable"})


class DocumentCheckSchema(Schema):
    kind = Text()
    label = Text()
    documents = fields.List(fields.Integer())
    status = Text(metadata={"description": "pending, checked or not_acceptable"})
    note = Text(allow_none=True)
    checked_by = fields.Integer(allow_none=True)
    checked_at = UtcDateTime(allow_none=True)


class ProposalSchema(ProposalCreateSchema):
    id = Id(dump_only=True)
    status = Text(dump_only=True)
    submitted_at = UtcDateTime(dump_only=True, allow_none=True)
    submitted_on = fields.Date(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    documents = fields.List(fields.Nested(DocumentSchema), dump_only=True)
    allowed_transitions = fields.Method("_allowed", dump_only=True)
    latest_decision = Text(dump_only=True, allow_none=True)
    documents_missing = fields.Method("_missing", dump_only=True, metadata={
        "description": "documents the rulebook's checklist still expects (not blocking submission)"})

    def _allowed(self, obj):
        return PROPOSAL_LIFECYCLE.allowed(obj.status)

    def _missing(self, obj):
        return missing_documents(obj)


class ProposalQueryArgsSchema(PageArgsSchema):
    status = Text(validate=validate.OneOf(PROPOSAL_LIFECYCLE.states))
    credit_line_id = Id()
    enterprise_id = Id()
    q = Text()
    sort = Text(load_default="-created_at", validate=validate.OneOf(
        ["created_at", "-created_at", "title", "-title", "loan_amount", "-loan_amount", "status", "-status"]))


class SubmitSchema(Schema):
    submitted_on = fields.Date(load_default=None, allow_none=True,
                               metadata={"description": "the day it was submitted; today by default, never later"})
    bank_id = Id(load_default=None, allow_none=True,
                             metadata={"description": "partner bank to send it to; the only one by default"})


class WithdrawSchema(Schema):
    reason = Text(required=True, multiline=True, validate=validate.Length(min=3, max=2000))


class ReviewCorrectionSchema(Schema):
    stream = Text(required=True, validate=validate.OneOf(STREAMS))
    baseline_quantity = INDICATOR["baseline_quantity"].field()
    baseline_output = INDICATOR["baseline_output"].field()


class TechnicalReviewSchema(Schema):
    outcome = Text(required=True, validate=validate.OneOf(["confirmed", "corrected"]))
    main_indicator = Text(load_default=None, validate=validate.OneOf(STREAMS))
    corrections = fields.List(fields.Nested(ReviewCorrectionSchema), load_default=list)
    comments = Text(required=True, multiline=True, validate=validate.Length(min=3, max=5000))


class TechnicalReviewOutSchema(TechnicalReviewSchema):
    id = Id()
    proposal_id = Id()
    reviewer_id = Id()
    created_at = UtcDateTime()


class WhatIfEnterpriseSchema(EnterpriseSchema):
    """An enterprise that is not registered yet, described for a what-if score."""

    class Meta:
        exclude = ("organisation_id",)


class ScoreRequestSchema(ProposalBodySchema):
    """The what-if body: a proposal, with an ``enterprise`` object instead of an id if wanted."""

    credit_line_id = Id(required=True)
    enterprise = fields.Nested(WhatIfEnterpriseSchema)
    documents = fields.List(Text(), load_default=list)


ProposalPageSchema = page_schema(ProposalSchema, "ProposalPage")
