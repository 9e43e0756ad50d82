"""Monitoring plan and report bodies and answers."""
from marshmallow import Schema, fields, validate

from ..pagination import PageArgsSchema, page_schema
from ..vocabulary import STREAMS
from .models import IPMVP_OPTIONS
from ..schemas import Day, Id, Quantity, Text, UtcDateTime

OFFSETS = ("main_only", "min_of_all", "deduct_worse", "weighted_co2e")


class PlanIndicatorSchema(Schema):
    stream = Text(required=True, validate=validate.OneOf(STREAMS))
    unit = Text(required=True)
    baseline_quantity = Quantity(required=True, positive=True, error="the baseline quantity must be more than zero")
    baseline_output = Quantity(required=True, positive=True, error="production output must be more than zero")


class PeriodSchema(Schema):
    label = Text(required=True, validate=validate.Length(min=1, max=32))
    start = Day(required=True)
    end = Day(required=True)
    due_date = Day(required=True)
    reported = fields.Boolean(dump_only=True)


class PlanBodySchema(Schema):
    main_indicator = Text(validate=validate.OneOf(STREAMS))
    output_unit = Text(validate=validate.Length(min=1, max=32))
    indicators = fields.List(fields.Nested(PlanIndicatorSchema),
                             metadata={"description": "default: the proposal's indicators as reviewed"})
    baseline_start = Day(required=True)
    baseline_end = Day(required=True)
    ipmvp_option = Text(load_default="B", validate=validate.OneOf(IPMVP_OPTIONS))
    offset_method = Text(validate=validate.OneOf(OFFSETS))
    periods = fields.List(fields.Nested(PeriodSchema))
    reporting_start = Day(metadata={"description": "with no periods: monthly periods from this date"})
    reporting_periods = fields.Integer(validate=validate.Range(min=1, max=60))
    notes = Text(allow_none=True, multiline=True)


class PlanSchema(Schema):
    id = Id()
    proposal_id = Id()
    main_indicator = Text()
    output_unit = Text()
    indicators = fields.List(fields.Dict())
    baseline_start = Day()
    baseline_end = Day()
    ipmvp_option = Text()
    offset_method = Text()
    notes = Text(allow_none=True)
    periods = fields.Method("_periods")

    def _periods(self, plan):
        return [{"label": q.label, "start": q.start.isoformat(), "end": q.end.isoformat(),
                 "due_date": q.due_date.isoformat(), "reported": q.report is not None,
                 "report_status": q.report.status if q.report else None} for q in plan.periods]


class QuantitySchema(Schema):
    stream = Text(required=True)
    unit = Text(load_default=None)
    quantity = fields.Raw(required=True, metadata={"description": "decimal string"})


class QuantityOutSchema(Schema):
    stream = Text()
    unit = Text()
    quantity = fields.Decimal(as_string=True)


class ReportBodySchema(Schema):
    period = Text(required=True)
    production_output = fields.Raw(required=True, metadata={"description": "decimal string, more than zero"})
    quantities = fields.List(fields.Nested(QuantitySchema), required=True)
    drivers = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=None, allow_none=True, metadata={
        "description": "the period's other drivers a regression baseline uses ({degree_days: '120'}), decimal strings"})
    reported_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day the report was sent; today by default, after the period ended, never later than today"})


class EvidenceSchema(Schema):
    id = Id()
    description = Text(allow_none=True)
    filename = Text(attribute="file.filename")
    sha256 = Text(attribute="file.sha256")
    uploaded_by = Id(attribute="file.uploaded_by")


class ReviewBodySchema(Schema):
    reason = Text(allow_none=True, multiline=True, validate=validate.Length(max=2000),
                  metadata={"description": "required to return a report: what to correct"})


class ReportSchema(Schema):
    id = Id()
    period = fields.String(attribute="period.label")
    version = fields.Integer(metadata={"description": "1, then one more for each correction of a returned report"})
    status = fields.String(metadata={"description": "submitted, accepted or returned; only accepted reports count"})
    review_note = fields.String(allow_none=True)
    reviewed_by = Id(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    start = fields.Date(attribute="period.start")
    end = fields.Date(attribute="period.end")
    production_output = fields.Decimal(as_string=True)
    source = Text()
    submitted_by = Id()
    submitted_at = UtcDateTime()
    reported_on = fields.Date(allow_none=True)
    quantities = fields.List(fields.Nested(QuantityOutSchema))
    drivers = fields.Dict(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))


class ReportRowSchema(ReportSchema):
    proposal_id = Id(attribute="period.plan.proposal_id")


class ReportListArgsSchema(PageArgsSchema):
    proposal_id = Id()


ReportPageSchema = page_schema(ReportRowSchema, "MonitoringReportPage")
