"""REST: a proposal's submission and NCPC review (each scores it), and its assessment.

The routes join the proposals API (same URLs, same blueprint) from here, above scoring, because
scoring reads and writes proposals: the proposals package does not import it back.
"""
from flask.views import MethodView

from ..auth.current import current_actor
from ..proposals import services
from ..proposals.api import blp
from ..proposals.schemas import ProposalSchema, SubmitSchema, TechnicalReviewOutSchema, TechnicalReviewSchema
from .schemas import AssessmentSchema
from .services import assessment_view, replay_assessment, score_and_store


@blp.route("/<int:proposal_id>/submit")
class SubmitView(MethodView):
    @blp.arguments(SubmitSchema)
    @blp.response(200, ProposalSchema)
    def post(self, data, proposal_id):
        """Validate fully, submit and score; 422 lists every problem at once."""
        return services.submit_proposal(current_actor(), proposal_id, data["bank_id"], score_and_store,
                                        data["submitted_on"])


@blp.route("/<int:proposal_id>/assessment")
class AssessmentView(MethodView):
    @blp.response(200, AssessmentSchema)
    def get(self, proposal_id):
        """Show the latest assessment with its full explanation."""
        return assessment_view(services.latest_assessment(current_actor(), proposal_id))


@blp.route("/<int:proposal_id>/assessments/<int:assessment_id>/replay")
class ReplayView(MethodView):
    @blp.response(200, AssessmentSchema)
    def get(self, proposal_id, assessment_id):
        """Re-run a stored assessment on its inputs with the exact rulebook text that made it."""
        return replay_assessment(current_actor(), proposal_id, assessment_id)


@blp.route("/<int:proposal_id>/technical-review")
class TechnicalReviewView(MethodView):
    @blp.response(200, TechnicalReviewOutSchema(many=True))
    def get(self, proposal_id):
        """List the NCPC's reviews of this proposal."""
        return services.reviews_of(current_actor(), proposal_id)

    @blp.arguments(TechnicalReviewSchema)
    @blp.response(201, TechnicalReviewOutSchema)
    def post(self, data, proposal_id):
        """Confirm or correct the baseline and main indicator (NCPC verifiers)."""
        return services.review_proposal(current_actor(), proposal_id, data, score_and_store)
