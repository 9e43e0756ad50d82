"""Credit line input and output shapes."""
from marshmallow import Schema, fields, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, CURRENCY, Day, Id, Money, Text
from .models import CREDIT_LINE_STATUSES


class OrganisationRefSchema(Schema):
    id = Id()
    name = Text()
    kind = Text()
    country = Text()


class CreditLineSchema(Schema):
    id = Id(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=3, max=200))
    country = Text(required=True, validate=COUNTRY)
    currency = Text(required=True, validate=CURRENCY)
    rulebook_id = Text(required=True)
    rulebook_version = Text(required=True)
    ncpc_id = Id(required=True)
    fund_id = Id(required=True)
    bank_ids = fields.List(Id(), load_default=list)
    guarantee_capacity = Money(required=True)
    grant_budget = Money(required=True)
    status = Text(validate=validate.OneOf(CREDIT_LINE_STATUSES), load_default="open")
    opened_on = Day(allow_none=True)
    banks = fields.List(fields.Nested(OrganisationRefSchema), dump_only=True)
    ncpc = fields.Nested(OrganisationRefSchema, dump_only=True)


class CreditLineUpdateSchema(Schema):
    name = Text(validate=validate.Length(min=3, max=200))
    currency = Text(validate=CURRENCY)
    ncpc_id = Id()
    rulebook_id = Text()
    rulebook_version = Text()
    bank_ids = fields.List(Id())
    guarantee_capacity = Money()
    grant_budget = Money()
    status = Text(validate=validate.OneOf(CREDIT_LINE_STATUSES))


class CreditLineQueryArgsSchema(PageArgsSchema):
    status = Text(validate=validate.OneOf(CREDIT_LINE_STATUSES))
    country = Text(validate=COUNTRY)


CreditLinePageSchema = page_schema(CreditLineSchema, "CreditLinePage")
