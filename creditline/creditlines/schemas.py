"""Credit line input and output shapes."""
from marshmallow import Schema, fields, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, CURRENCY, Id, Money
from .models import CREDIT_LINE_STATUSES


class OrganisationRefSchema(Schema):
    id = Id()
    name = fields.String()
    kind = fields.String()
    country = fields.String()


class CreditLineSchema(Schema):
    id = Id(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    country = fields.String(required=True, validate=COUNTRY)
    currency = fields.String(required=True, validate=CURRENCY)
    rulebook_id = fields.String(required=True)
    rulebook_version = fields.String(required=True)
    ncpc_id = Id(required=True)
    fund_id = Id(required=True)
    bank_ids = fields.List(Id(), load_default=list)
    guarantee_capacity = Money(required=True)
    grant_budget = Money(required=True)
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES), load_default="open")
    opened_on = fields.Date(allow_none=True)
    banks = fields.List(fields.Nested(OrganisationRefSchema), dump_only=True)
    ncpc = fields.Nested(OrganisationRefSchema, dump_only=True)


class CreditLineUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=3, max=200))
    currency = fields.String(validate=CURRENCY)
    ncpc_id = Id()
    rulebook_id = fields.String()
    rulebook_version = fields.String()
    bank_ids = fields.List(Id())
    guarantee_capacity = Money()
    grant_budget = Money()
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES))


class CreditLineQueryArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(CREDIT_LINE_STATUSES))
    country = fields.String(validate=COUNTRY)


CreditLinePageSchema = page_schema(CreditLineSchema, "CreditLinePage")
