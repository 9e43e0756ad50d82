"""REST: guarantees on loans, calls, claim payments, recoveries and the fund's exposure."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth.current import current_actor
from ..pagination import PageArgsSchema, page_schema
from ..schemas import CURRENCY, Money, Share
from . import services
from .models import GUARANTEE_LIFECYCLE

blp = Blueprint("guarantees_api", __name__, url_prefix="/api/v1", description="Guarantees and the fund's exposure")


class RecoverySchema(Schema):
    id = fields.Integer(dump_only=True)
    amount = Money(required=True, allow_zero=False)
    currency = fields.String(load_only=True, validate=CURRENCY)
    fund_part = Money(dump_only=True)
    bank_part = Money(dump_only=True)
    value_date = fields.Date()
    reference = fields.String(validate=validate.Length(max=100))


class GuaranteeSchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    credit_line_id = fields.Integer()
    currency = fields.String()
    coverage_share = fields.Float()
    cap = Money(allow_none=True)
    other_guarantors_share = fields.Float()
    covered_amount = Money()
    fee_rate = fields.Float()
    fee = Money()
    proceeds_to_approved_items = fields.Boolean()
    valid_until = fields.Date(allow_none=True)
    status = fields.String()
    outstanding_at_default = Money(allow_none=True)
    claim_amount = Money(allow_none=True)
    recovered = Money()
    recovered_by_fund = Money()
    recoveries = fields.List(fields.Nested(RecoverySchema))
    issued_at = fields.DateTime()
    called_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    allowed_transitions = fields.Function(lambda g: GUARANTEE_LIFECYCLE.allowed(g.status))


class IssueSchema(Schema):
    coverage_share = Share(metadata={"description": "default: the rulebook's coverage"})
    other_guarantors_share = Share(load_default=0)
    proceeds_to_approved_items = fields.Boolean(load_default=True)


class ListArgs(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(GUARANTEE_LIFECYCLE.states))
    credit_line_id = fields.Integer()


class ExposureSchema(Schema):
    credit_line_id = fields.Integer()
    currency = fields.String()
    capacity = Money()
    issued = Money()
    outstanding_exposure = Money()
    called = Money()
    paid = Money()
    recovered = Money()
    committed = Money()
    remaining_capacity = fields.Decimal(as_string=True, places=2)
    guarantees = fields.Integer()
    live = fields.Integer()


GuaranteePage = page_schema(GuaranteeSchema, "GuaranteePage")


@blp.route("/guarantees")
class ListView(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, GuaranteePage)
    def get(self, args):
        """Guarantees in scope."""
        return services.list_guarantees(current_actor(), args)


@blp.route("/loans/<int:loan_id>/guarantee")
class IssueView(MethodView):
    @blp.arguments(IssueSchema)
    @blp.response(201, GuaranteeSchema)
    def post(self, data, loan_id):
        """Issue the fund's guarantee on an approved loan, within the remaining capacity."""
        return services.issue_guarantee(current_actor(), loan_id, data)


@blp.route("/guarantees/<int:guarantee_id>")
class OneView(MethodView):
    @blp.response(200, GuaranteeSchema)
    def get(self, guarantee_id):
        """One guarantee with its call and recoveries."""
        return services.get_guarantee(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/call")
class CallView(MethodView):
    @blp.response(200, GuaranteeSchema)
    def post(self, guarantee_id):
        """Call the guarantee of a defaulted loan (the bank)."""
        return services.call_guarantee(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/pay")
class PayView(MethodView):
    @blp.response(200, GuaranteeSchema)
    def post(self, guarantee_id):
        """Pay the claim (the fund), exactly once."""
        return services.pay_claim(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/recoveries")
class RecoveriesView(MethodView):
    @blp.arguments(RecoverySchema)
    @blp.response(201, RecoverySchema)
    def post(self, data, guarantee_id):
        """Record money recovered after default; shared pro rata between fund and bank."""
        return services.record_recovery(current_actor(), guarantee_id, data)


@blp.route("/credit-lines/<int:credit_line_id>/exposure")
class ExposureView(MethodView):
    @blp.response(200, ExposureSchema)
    def get(self, credit_line_id):
        """The fund's guarantee capacity, issued, outstanding exposure, called, paid and recovered."""
        return services.exposure_of(current_actor(), credit_line_id)
