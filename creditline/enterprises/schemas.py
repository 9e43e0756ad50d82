"""Enterprise input and output shapes (design §5)."""
from marshmallow import Schema, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, Day, Id, Text
from ..proposal_inputs import ENTERPRISE

# ISIC Rev.4: a section letter followed by a 2-4 digit division/group/class, or digits alone.
ISIC = validate.Regexp(r"^[A-U]?\d{2,4}$", error="use an ISIC Rev.4 code such as C1313 or 1313")


class EnterpriseSchema(Schema):
    id = Id(dump_only=True)
    organisation_id = Id(load_default=None,
                                     metadata={"description": "fund admins only: the SME organisation"})
    legal_name = Text(required=True, validate=validate.Length(min=2, max=200))
    tax_id = Text(required=True, validate=validate.Length(min=3, max=64))
    country = Text(required=True, validate=COUNTRY)
    isic_code = Text(required=True, validate=ISIC)
    employees = ENTERPRISE["employees"].field(required=True)
    annual_turnover = ENTERPRISE["annual_turnover"].field(required=True)
    total_assets = ENTERPRISE["total_assets"].field(required=True)
    domestic_ownership_share = ENTERPRISE["domestic_ownership_share"].field(required=True)
    operating_since = Day(required=True, past_only=True)


class EnterpriseUpdateSchema(EnterpriseSchema):
    class Meta:
        exclude = ("organisation_id",)


class EnterpriseQueryArgsSchema(PageArgsSchema):
    q = Text(metadata={"description": "part of the legal name or tax id"})
    country = Text(validate=COUNTRY)


EnterprisePageSchema = page_schema(EnterpriseSchema, "EnterprisePage")
