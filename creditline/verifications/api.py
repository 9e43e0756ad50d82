"""REST: verifications and their four-eyes decision."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth.current import current_actor
from ..pagination import PageArgsSchema, page_schema
from ..list_views import api_list, openapi_doc
from . import services
from .lists import VERIFICATIONS
from .models import DECISIONS, VERIFICATION_LIFECYCLE
from ..openapi import file_response
from ..schemas import Id, Text, UtcDateTime

blp = Blueprint("verifications_api", __name__, url_prefix="/api/v1", description="Verification of benefits")


class ModelChoiceSchema(Schema):
    indicator = Text(required=True)
    method = Text(load_default="specific", validate=validate.OneOf(("specific", "regression")), metadata={
        "description": "specific consumption (no fixed load) or a regression baseline (IPMVP option B or C)"})
    drivers = fields.List(Text(), load_default=list, metadata={
        "description": "regression drivers besides production output, named as in the baseline readings"})
    reason = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=2000), metadata={
        "description": "required when the model misses the rulebook's thresholds: why it stands"})


class CreateSchema(Schema):
    models = fields.List(fields.Nested(ModelChoiceSchema), metadata={
        "description": "the baseline model per indicator; default specific consumption"})
    ipmvp_option = Text(validate=validate.OneOf(("A", "B", "C", "D")))
    periods = fields.List(Text(), metadata={"description": "labels; default: every reported period"})
    supersedes_id = Id(allow_none=True, metadata={"description": "the confirmed verification this corrects"})


class ProposeSchema(Schema):
    decision = Text(required=True, validate=validate.OneOf(DECISIONS))
    comment = Text(required=True, multiline=True, validate=validate.Length(min=3, max=5000))
    proposed_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day the decision was proposed; today by default, never later, not before the last report"})


class CommentSchema(Schema):
    comment = Text(load_default=None, multiline=True, validate=validate.Length(max=5000))


class ConfirmSchema(CommentSchema):
    confirmed_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day it was confirmed; today by default, never later, not before the last report"})


class VerificationSchema(Schema):
    id = Id()
    proposal_id = Id()
    supersedes_id = Id(allow_none=True)
    status = Text()
    decision = Text(allow_none=True)
    ipmvp_option = Text()
    periods = fields.List(Text())
    result = fields.Dict()
    evidence = fields.List(fields.Dict())
    rulebook = fields.Function(lambda v: {"id": v.rulebook_id, "version": v.rulebook_version, "hash": v.rulebook_hash})
    created_by = Id()
    created_at = UtcDateTime()
    proposed_by = Id(allow_none=True)
    proposed_at = UtcDateTime(allow_none=True)
    proposed_on = fields.Date(allow_none=True)
    proposal_comment = Text(allow_none=True)
    confirmed_by = Id(allow_none=True)
    confirmed_at = UtcDateTime(allow_none=True)
    confirmed_on = fields.Date(allow_none=True)
    confirm_comment = Text(allow_none=True)
    # design §5 verdict fields, lifted from the result
    main_improvement = fields.Function(lambda v: v.result.get("main_improvement"))
    worse = fields.Function(lambda v: v.result.get("worse"))
    sufficiency = fields.Function(lambda v: v.result.get("sufficiency"))
    grant = fields.Function(lambda v: services.grant_summary(v), metadata={
        "description": "rate, amount and reason (why no grant is due, or why it is blocked)"})
    allowed_transitions = fields.Function(lambda v: VERIFICATION_LIFECYCLE.allowed(v.status))


class ListArgs(PageArgsSchema):
    status = Text(validate=validate.OneOf(VERIFICATION_LIFECYCLE.states))
    proposal_id = Id()


VerificationPage = page_schema(VerificationSchema, "VerificationPage")


@blp.route("/proposals/<int:proposal_id>/verifications")
class CreateView(MethodView):
    @blp.arguments(CreateSchema)
    @blp.response(201, VerificationSchema)
    def post(self, data, proposal_id):
        """Compute a verification from the reports (NCPC verifiers)."""
        return services.create_verification(current_actor(), proposal_id, data)


@blp.route("/verifications")
class ListView(MethodView):
    @blp.arguments(VERIFICATIONS.args_schema(ListArgs), location="query")
    @blp.response(200, VerificationPage)
    @blp.doc(**openapi_doc(VerificationPage))
    def get(self, args):
        """Verifications in scope (status=proposed is the senior verifier's queue); ?format=csv|xlsx downloads them."""
        return api_list(VERIFICATIONS, services.verifications_query(current_actor(), args), args)


@blp.route("/verifications/<int:verification_id>")
class OneView(MethodView):
    @blp.response(200, VerificationSchema)
    def get(self, verification_id):
        """A verification: per-indicator figures, flags, decision and grant."""
        return services.get_verification(current_actor(), verification_id)


@blp.route("/verifications/<int:verification_id>/propose")
class ProposeView(MethodView):
    @blp.arguments(ProposeSchema)
    @blp.response(200, VerificationSchema)
    def post(self, data, verification_id):
        """Propose verified, rejected or more_data, with a comment."""
        return services.propose(current_actor(), verification_id, data["decision"], data["comment"],
                                data["proposed_on"])


@blp.route("/verifications/<int:verification_id>/confirm")
class ConfirmView(MethodView):
    @blp.arguments(ConfirmSchema)
    @blp.response(200, VerificationSchema)
    def post(self, data, verification_id):
        """Confirm (a senior verifier who did not propose it); final."""
        return services.confirm(current_actor(), verification_id, data["comment"], data["confirmed_on"])


@blp.route("/verifications/<int:verification_id>/reject")
class RejectView(MethodView):
    @blp.arguments(CommentSchema)
    @blp.response(200, VerificationSchema)
    def post(self, data, verification_id):
        """Return the proposed decision to the verifier, with the reason."""
        return services.reject(current_actor(), verification_id, data["comment"] or "")


@blp.route("/verifications/<int:verification_id>/withdraw")
class WithdrawView(MethodView):
    @blp.arguments(CommentSchema)
    @blp.response(200, VerificationSchema)
    def post(self, data, verification_id):
        """The verifier who proposed takes the decision back (e.g. the only senior verifier proposed it)."""
        return services.withdraw(current_actor(), verification_id, data["comment"])


@blp.route("/verifications/<int:verification_id>/evidence/<int:number>")
class EvidenceFileView(MethodView):
    # Answered with the media type it was uploaded with: any type.
    @blp.doc(**file_response("the evidence file as uploaded", "*/*"))
    def get(self, verification_id, number):
        """Download evidence file ``number`` (1-based) of the verification; 409 if its bytes no longer match the SHA-256."""
        from ..files.disposition import download

        data, name, kind = services.evidence_file(current_actor(), verification_id, number)
        return download(data, name, kind)


@blp.route("/verifications/<int:verification_id>/certificate.pdf")
class CertificateView(MethodView):
    @blp.doc(**file_response("the certificate", "application/pdf"))
    def get(self, verification_id):
        """The verification certificate as a PDF (confirmed verifications only)."""
        from flask import Response

        from ..errors import Conflict
        from .certificate import certificate_pdf

        v = services.get_verification(current_actor(), verification_id)
        if v.status != "confirmed":
            raise Conflict("a certificate exists only for a confirmed verification", current_state=v.status,
                           allowed=VERIFICATION_LIFECYCLE.allowed(v.status))
        return Response(certificate_pdf(services.certificate_data(v, v.grant)), mimetype="application/pdf")
