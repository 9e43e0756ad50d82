"""REST: grants, their approval and payment."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import idempotency
from ..auth.current import current_actor
from ..list_views import api_list, openapi_doc
from ..pagination import PageArgsSchema, page_schema
from ..schemas import Day, Id, Money, Text, UtcDateTime
from . import incentives, services
from .lists import GRANTS
from .models import GRANT_LIFECYCLE, PAID_AS

blp = Blueprint("grants_api", __name__, url_prefix="/api/v1", description="Incentive grants")


class GrantSchema(Schema):
    id = Id()
    verification_id = Id()
    proposal_id = Id()
    credit_line_id = Id()
    currency = Text()
    improvement = fields.Float(allow_none=True)
    rate = fields.Float()
    basis = Text()
    basis_amount = Money()
    amount = Money()
    status = Text()
    reason = Text(allow_none=True)
    paid_as = Text()
    approved_by = Id(allow_none=True)
    approved_at = UtcDateTime(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    paid_by = Id(allow_none=True)
    paid_at = UtcDateTime(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    payment_reference = Text(allow_none=True)
    allowed_transitions = fields.Function(lambda g: GRANT_LIFECYCLE.allowed(g.status))


class ListArgs(PageArgsSchema):
    status = Text(validate=validate.OneOf(GRANT_LIFECYCLE.states))


class ApproveSchema(Schema):
    paid_as = Text(load_default=None, validate=validate.OneOf(PAID_AS))
    approved_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day the fund approved it; today by default, never later, not before the confirmation"})


class PaySchema(Schema):
    reference = Text(load_default=None, validate=validate.Length(min=1, max=64))
    paid_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the payment's value date; today by default, never later, not before the approval"})


GrantPage = page_schema(GrantSchema, "GrantPage")


class OtherIncentiveBodySchema(Schema):
    source = Text(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"description": "who grants it, e.g. a provincial clean-technology fund"})
    amount = Money(required=True, allow_zero=False)
    date = Day(required=True, metadata={"description": "when it was granted or promised"})
    currency = Text(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"),
                             metadata={"description": "default: the credit line's currency"})


class OtherIncentiveSchema(Schema):
    source = Text()
    description = Text(allow_none=True)
    amount = Text(allow_none=True)
    currency = Text(allow_none=True)
    date = Text(allow_none=True)
    declared_by = Id(allow_none=True)
    declared_at = Text(allow_none=True)


class ProposalGrantStatusSchema(Schema):
    id = Id()
    status = Text()
    reason = Text(allow_none=True)


class OtherIncentivesSchema(Schema):
    proposal_id = Id()
    other_incentives = fields.List(fields.Nested(OtherIncentiveSchema))
    grants = fields.List(fields.Nested(ProposalGrantStatusSchema))


@blp.route("/proposals/<int:proposal_id>/other-incentives")
class OtherIncentivesView(MethodView):
    @blp.response(200, OtherIncentivesSchema)
    def get(self, proposal_id):
        """Other incentives declared for the investment, and the proposal's grants."""
        return incentives.incentives_of(current_actor(), proposal_id)

    @blp.arguments(OtherIncentiveBodySchema)
    @blp.response(201, OtherIncentivesSchema)
    def post(self, data, proposal_id):
        """Declare another grant or incentive for a financed investment (the SME or a fund admin); blocks the grant."""
        return incentives.declare_other_incentive(current_actor(), proposal_id, data)


@blp.route("/grants")
class ListView(MethodView):
    @blp.arguments(GRANTS.args_schema(ListArgs), location="query")
    @blp.response(200, GrantPage)
    @blp.doc(**openapi_doc(GrantPage))
    def get(self, args):
        """Grants in scope (status=calculated is the fund's approval queue); ?format=csv|xlsx downloads them all."""
        return api_list(GRANTS, services.grants_query(current_actor(), args), args)


@blp.route("/grants/<int:grant_id>")
class OneView(MethodView):
    @blp.response(200, GrantSchema)
    def get(self, grant_id):
        """One grant with its band, amount, status and the reason when blocked."""
        return services.get_grant(current_actor(), grant_id)


@blp.route("/grants/<int:grant_id>/approve")
class ApproveView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(ApproveSchema)
    @blp.response(200, GrantSchema)
    def post(self, data, grant_id):
        """Approve within the remaining grant budget (fund admins)."""
        return services.approve_grant(current_actor(), grant_id, data["paid_as"], data["approved_on"])


@blp.route("/grants/<int:grant_id>/pay")
class PayView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(PaySchema)
    @blp.response(200, GrantSchema)
    def post(self, data, grant_id):
        """Pay an approved grant; a second payment is refused (409)."""
        return services.pay_grant(current_actor(), grant_id, data["reference"], data["paid_on"])
