"""REST: guarantees on loans, calls, claim payments, recoveries and the fund's exposure."""
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import idempotency
from ..auth.current import current_actor
from ..list_views import api_list, openapi_doc
from . import services
from .lists import GUARANTEES
from .schemas import (DeclineGuaranteeSchema, IssueSchema, ExposureSchema, GuaranteePage, GuaranteeSchema, ListArgs,
                      PayClaimSchema, RecoverySchema, RequestSchema)

blp = Blueprint("guarantees_api", __name__, url_prefix="/api/v1", description="Guarantees and the fund's exposure")


@blp.route("/guarantees")
class ListView(MethodView):
    @blp.arguments(GUARANTEES.args_schema(ListArgs), location="query")
    @blp.response(200, GuaranteePage)
    @blp.doc(**openapi_doc(GuaranteePage))
    def get(self, args):
        """Guarantees in scope: search, filter, sort; ?format=csv|xlsx downloads them all."""
        return api_list(GUARANTEES, services.guarantees_query(current_actor(), args), args)


@blp.route("/loans/<int:loan_id>/guarantee")
class RequestView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(RequestSchema)
    @blp.response(201, GuaranteeSchema)
    def post(self, data, loan_id):
        """Request the fund's guarantee on an approved loan (the lending bank's officer)."""
        return services.request_guarantee(current_actor(), loan_id, data)


@blp.route("/guarantees/<int:guarantee_id>")
class OneView(MethodView):
    @blp.response(200, GuaranteeSchema)
    def get(self, guarantee_id):
        """One guarantee with its call and recoveries."""
        return services.get_guarantee(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/issue")
class IssueView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(IssueSchema)
    @blp.response(200, GuaranteeSchema)
    def post(self, data, guarantee_id):
        """Issue a requested guarantee within the fund's remaining capacity (fund admins)."""
        return services.issue_guarantee(current_actor(), guarantee_id, data["issued_on"])


@blp.route("/guarantees/<int:guarantee_id>/decline")
class DeclineView(MethodView):
    @blp.arguments(DeclineGuaranteeSchema)
    @blp.response(200, GuaranteeSchema)
    def post(self, data, guarantee_id):
        """Decline a guarantee request with a reason (fund admins)."""
        return services.decline_guarantee(current_actor(), guarantee_id, data["reason"])


@blp.route("/guarantees/<int:guarantee_id>/call")
class CallView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.response(200, GuaranteeSchema)
    def post(self, guarantee_id):
        """Call the guarantee of a defaulted loan (the bank)."""
        return services.call_guarantee(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/pay")
class PayView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(PayClaimSchema)
    @blp.response(200, GuaranteeSchema)
    def post(self, data, guarantee_id):
        """Pay the claim (the fund) on its value date with its transfer reference, exactly once."""
        return services.pay_claim(current_actor(), guarantee_id, data["reference"], data["paid_on"])


@blp.route("/guarantees/<int:guarantee_id>/recoveries")
class RecoveriesView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(RecoverySchema)
    @blp.response(201, RecoverySchema)
    def post(self, data, guarantee_id):
        """Record money recovered after the claim was paid: lowers the loan, shared pro rata with the fund."""
        return services.record_recovery(current_actor(), guarantee_id, data)


@blp.route("/credit-lines/<int:credit_line_id>/exposure")
class ExposureView(MethodView):
    @blp.response(200, ExposureSchema)
    def get(self, credit_line_id):
        """The fund's guarantee capacity, issued, outstanding exposure, called, paid and recovered."""
        return services.exposure_of(current_actor(), credit_line_id)
