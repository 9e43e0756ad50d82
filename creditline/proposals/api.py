"""REST: proposals, their assessment and the NCPC technical review."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from ..scoring.schemas import AssessmentSchema
from ..scoring.services import assessment_view, replay_assessment, score_and_store
from . import documents, services
from .schemas import (DocumentSchema, ProposalCreateSchema, ProposalBodySchema, ProposalPageSchema,
                      ProposalQueryArgsSchema, ProposalSchema, SubmitSchema, TechnicalReviewOutSchema,
                      TechnicalReviewSchema, WithdrawSchema)

blp = Blueprint("proposals_api", __name__, url_prefix="/api/v1/proposals",
                description="Investment proposals, their scoring and review")


@blp.route("")
class ProposalsView(MethodView):
    @blp.arguments(ProposalQueryArgsSchema, location="query")
    @blp.response(200, ProposalPageSchema)
    def get(self, args):
        """List the proposals the caller may see."""
        return services.list_proposals(current_actor(), args)

    @blp.arguments(ProposalCreateSchema)
    @blp.response(201, ProposalSchema)
    def post(self, data):
        """Save a new draft (SMEs); it may be incomplete until submission."""
        return services.create_proposal(current_actor(), data)


@blp.route("/<int:proposal_id>")
class ProposalView(MethodView):
    @blp.response(200, ProposalSchema)
    def get(self, proposal_id):
        """Show one proposal."""
        return services.get_proposal(current_actor(), proposal_id)

    @blp.arguments(ProposalBodySchema)
    @blp.response(200, ProposalSchema)
    def patch(self, data, proposal_id):
        """Change a draft."""
        return services.update_proposal(current_actor(), proposal_id, data)


@blp.route("/<int:proposal_id>/submit")
class SubmitView(MethodView):
    @blp.arguments(SubmitSchema)
    @blp.response(200, ProposalSchema)
    def post(self, data, proposal_id):
        """Validate fully, submit and score; 422 lists every problem at once."""
        return services.submit_proposal(current_actor(), proposal_id, data["bank_id"], score_and_store)


@blp.route("/<int:proposal_id>/reopen")
class ReopenView(MethodView):
    @blp.response(200, ProposalSchema)
    def post(self, proposal_id):
        """Turn a scored proposal back into a draft to revise it."""
        return services.reopen_proposal(current_actor(), proposal_id)


@blp.route("/<int:proposal_id>/withdraw")
class WithdrawView(MethodView):
    @blp.arguments(WithdrawSchema)
    @blp.response(200, ProposalSchema)
    def post(self, data, proposal_id):
        """Withdraw the proposal (any time before its loan is approved)."""
        return services.withdraw_proposal(current_actor(), proposal_id, data["reason"])


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


@blp.route("/<int:proposal_id>/documents")
class DocumentsView(MethodView):
    @blp.response(200, DocumentSchema(many=True))
    def get(self, proposal_id):
        """List the proposal's documents with their SHA-256."""
        return services.get_proposal(current_actor(), proposal_id).documents

    @blp.response(201, DocumentSchema)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"kind": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}}}})
    def post(self, proposal_id):
        """Upload a checklist document (multipart: kind, file); the SHA-256 is kept."""
        upload = request.files.get("file")
        return documents.add_document(current_actor(), proposal_id, request.form.get("kind"),
                                      upload.read() if upload else None,
                                      (upload.filename if upload else None) or "document",
                                      upload.mimetype if upload else "")
