"""Enterprise input and output shapes (design §5)."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, Id, Money, Share
from .. import clock

# ISIC Rev.4: a section letter followed by a 2-4 digit division/group/class, or digits alone.
ISIC = validate.Regexp(r"^[A-U]?\d{2,4}$", error="use an ISIC Rev.4 code such as C1313 or 1313")


class EnterpriseSchema(Schema):
    id = Id(dump_only=True)
    organisation_id = Id(load_default=None,
                                     metadata={"description": "fund admins only: the SME organisation"})
    legal_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    tax_id = fields.String(required=True, validate=validate.Length(min=3, max=64))
    country = fields.String(required=True, validate=COUNTRY)
    isic_code = fields.String(required=True, validate=ISIC)
    employees = fields.Integer(required=True, validate=validate.Range(min=1, error="must be at least 1"))
    annual_turnover = Money(required=True)
    total_assets = Money(required=True)
    domestic_ownership_share = Share(required=True)
    operating_since = fields.Date(required=True)

    @validates("operating_since")
    def _not_future(self, value: date, **_: object) -> None:
        if value > clock.today():
            raise ValidationError("cannot be in the future")


class EnterpriseUpdateSchema(EnterpriseSchema):
    class Meta:
        exclude = ("organisation_id",)


class EnterpriseQueryArgsSchema(PageArgsSchema):
    q = fields.String(metadata={"description": "part of the legal name or tax id"})
    country = fields.String(validate=COUNTRY)


EnterprisePageSchema = page_schema(EnterpriseSchema, "EnterprisePage")
