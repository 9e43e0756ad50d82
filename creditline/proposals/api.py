"""REST: proposals and their documents (submission, review and assessment join from scoring.assessment_api)."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from ..files.disposition import download
from ..list_views import api_list, openapi_doc
from . import checklist, documents, services
from .lists import PROPOSALS
from .schemas import (DocumentCheckBodySchema, DocumentCheckSchema, DocumentSchema, ProposalCreateSchema, ProposalBodySchema, ProposalPageSchema,
                      ProposalQueryArgsSchema, ProposalSchema, WithdrawSchema)

blp = Blueprint("proposals_api", __name__, url_prefix="/api/v1/proposals",
                description="Investment proposals, their scoring and review")


@blp.route("")
class ProposalsView(MethodView):
    @blp.arguments(PROPOSALS.args_schema(ProposalQueryArgsSchema), location="query")
    @blp.response(200, ProposalPageSchema)
    @blp.doc(**openapi_doc(ProposalPageSchema))
    def get(self, args):
        """List the proposals the caller may see: search, filter, sort; ?format=csv|xlsx downloads them all."""
        actor = current_actor()
        return api_list(PROPOSALS, services.proposals_query(actor, args), args)

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


DOCUMENT_FILE_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {
        "type": "string", "format": "binary",
        "description": "PDF, PNG, JPEG, XLSX, DOCX or CSV, checked by content; at most MAX_DOCUMENT_BYTES"}}}}}}


@blp.route("/<int:proposal_id>/documents/<int:document_id>")
class DocumentView(MethodView):
    @blp.response(200, DocumentSchema)
    @blp.doc(requestBody=DOCUMENT_FILE_BODY)
    def put(self, proposal_id, document_id):
        """Replace a draft's document with another file (SMEs; 409 once submitted)."""
        upload = request.files.get("file")
        return documents.replace_document(current_actor(), proposal_id, document_id,
                                          upload.read() if upload else None,
                                          (upload.filename if upload else None) or "document")

    @blp.response(204)
    def delete(self, proposal_id, document_id):
        """Delete a draft's document (SMEs; 409 once submitted); the audit trail keeps its digest."""
        documents.delete_document(current_actor(), proposal_id, document_id)


@blp.route("/<int:proposal_id>/documents/<int:document_id>/file")
class DocumentFileView(MethodView):
    @blp.doc(responses={"200": {"description": "the file, as an attachment"},
                        "409": {"description": "the stored bytes no longer match the SHA-256"}})
    def get(self, proposal_id, document_id):
        """Download a document (everyone the proposal is shared with), checked against its SHA-256."""
        data, name, kind = documents.open_document(current_actor(), proposal_id, document_id)
        return download(data, name, kind)


@blp.route("/<int:proposal_id>/document-checklist")
class ChecklistView(MethodView):
    @blp.response(200, DocumentCheckSchema(many=True))
    def get(self, proposal_id):
        """The bank's checklist: one row per required document type, with its verdict."""
        return checklist.checklist(current_actor(), proposal_id)


@blp.route("/<int:proposal_id>/document-checklist/<kind>")
class ChecklistItemView(MethodView):
    @blp.arguments(DocumentCheckBodySchema)
    @blp.response(200, DocumentCheckSchema)
    def put(self, data, proposal_id, kind):
        """Mark a required document type checked or not acceptable, with a note (bank officers)."""
        return checklist.mark(current_actor(), proposal_id, kind, data["status"], data.get("note"))
