"""Credit line input and output shapes."""
from marshmallow import Schema, fields, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, CURRENCY, Money
from .models import CREDIT_LINE_STATUSES


class OrganisationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    country = fields.String()


class CreditLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    country = fields.String(required=True, validate=COUNTRY)
    currency = fields.String(required=True, validate=CURRENCY)
    rulebook_id = fields.String(required=True)
    rulebook_version = fields.String(required=True)
    ncpc_id = fields.Integer(required=True)
    fund_id = fields.Integer(required=True)
    bank_ids = fields.List(fields.Integer(), load_default=list)
    guarantee_capacity = Money(required=True)
    grant_budget = Money(required=True)
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES), load_default="open")
    opened_on = fields.Date(allow_none=True)
    banks = fields.List(fields.Nested(OrganisationRefSchema), dump_only=True)
    ncpc = fields.Nested(OrganisationRefSchema, dump_only=True)


class CreditLineUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=3, max=200))
    currency = fields.String(validate=CURRENCY)
    ncpc_id = fields.Integer()
    rulebook_id = fields.String()
    rulebook_version = fields.String()
    bank_ids = fields.List(fields.Integer())
    guarantee_capacity = Money()
    grant_budget = Money()
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES))


class CreditLineQueryArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES))
    country = fields.String(validate=COUNTRY)


CreditLinePageSchema = page_schema(CreditLineSchema, "CreditLinePage")
