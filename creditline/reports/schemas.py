"""Report query arguments and answers (the answers are tables of figures: money as decimal strings)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..schemas import Id, Text
from ..vocabulary import CP_OPTIONS

FORMATS = ("json", "csv", "xlsx")


class ReportArgsSchema(Schema):
    credit_line_id = Id(metadata={"description": "only this credit line"})
    bank_id = Id(metadata={"description": "only this partner bank's proposals and loans"})
    isic = Text(max_length=5, validate=validate.Regexp(r"^[A-U]?\d{0,4}$", error="an ISIC code or its start, "
                                                       "such as C13 or C1313"),
                metadata={"description": "ISIC code or prefix (C13: the textiles division)"})
    cp_option = Text(validate=validate.OneOf(CP_OPTIONS))
    format = Text(load_default="json", validate=validate.OneOf(FORMATS),
                  metadata={"description": "json (default), csv or xlsx"})


class TapeArgsSchema(ReportArgsSchema):
    format = Text(load_default="csv", validate=validate.OneOf(FORMATS),
                  metadata={"description": "csv (default), xlsx or json"})


Rows = fields.List(fields.Dict())


class PortfolioSchema(Schema):
    as_of = fields.Date(required=True)
    filters = fields.Dict(required=True)
    lines = fields.List(fields.Dict(), required=True, metadata={"description": "capacity and budget per line "
                                                                "(the fund's people only)"})
    totals = fields.List(fields.Dict(), required=True)
    proposals_by_status = fields.List(fields.Dict(), required=True)
    loans_by_status = fields.List(fields.Dict(), required=True)
    dpd_buckets = fields.List(fields.Dict(), required=True)
    breakdowns = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()), required=True)
    funnel = fields.List(fields.Dict(), required=True)


class ImpactSchema(Schema):
    as_of = fields.Date(required=True)
    filters = fields.Dict(required=True)
    co2e_t_per_year = fields.Dict(required=True)
    water_m3_per_year = fields.Dict(required=True)
    wastewater_m3_per_year = fields.Dict(required=True)
    waste_t_per_year = fields.Dict(required=True)
    indicators = fields.List(fields.Dict(), required=True)
    sectors = fields.List(fields.Dict(), required=True)
    money = fields.List(fields.Dict(), required=True)
    cost_per_tonne = fields.List(fields.Dict(), required=True)
    financed_emissions = fields.Dict(required=True)


class TapeSchema(Schema):
    as_of = fields.Date(required=True)
    items = fields.List(fields.Dict(), required=True)


class TapeImportArgsSchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check the file and store nothing"})


class TapeImportedLoanSchema(Schema):
    row = fields.Integer()
    tape_loan_id = fields.String(allow_none=True)
    proposal_id = fields.Integer()
    loan_id = fields.Integer()
    status = fields.String()
    currency = fields.String()
    principal = fields.String()
    outstanding = fields.String()
    guarantee_id = fields.Integer(allow_none=True)
    disbursement_id = fields.Integer(allow_none=True)
    payment_id = fields.Integer(allow_none=True)
    verification_id = fields.Integer(allow_none=True)
    grant_id = fields.Integer(allow_none=True)
    grant_status = fields.String(allow_none=True)


class TapeImportSchema(Schema):
    filename = fields.String()
    sha256 = fields.String()
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Dict(keys=fields.String(), values=fields.Integer())
    principal = fields.String(metadata={"description": "the approved principal of the loans, summed"})
    loans = fields.List(fields.Nested(TapeImportedLoanSchema))
