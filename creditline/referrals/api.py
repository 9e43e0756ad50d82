"""REST: the referral desk (tasks per reason, decisions with the second opinion's document)."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import ValidationFailed
from . import services
from .schemas import DecisionSchema, TaskDetailSchema, TaskPageSchema, TaskQueryArgsSchema, TaskSchema

blp = Blueprint("referrals_api", __name__, url_prefix="/api/v1",
                description="Referred proposals: a task per reason for the role that owns it")

_FIELDS = {"decision": {"type": "string", "enum": ["clear", "reject", "return"]}, "comment": {"type": "string"},
           "offset_method": {"type": "string", "description": "worse indicators: required to clear"},
           "given_by": {"type": "string", "description": "second opinion: the reference centre"}}
DECISION_BODY = {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["decision", "comment"], "properties": _FIELDS}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["decision", "comment"], "properties": {
        **_FIELDS, "file": {"type": "string", "format": "binary",
                            "description": "the second opinion's document; stored by SHA-256"}}}}}}


def read_decision() -> tuple[dict, bytes | None, str, str]:
    """The decision from JSON, or from a multipart form carrying the second opinion's file."""
    upload = request.files.get("file")
    raw = request.form.to_dict() if request.mimetype == "multipart/form-data" else (request.get_json(silent=True) or {})
    try:
        data = DecisionSchema().load({k: v for k, v in raw.items() if v != "" or k == "comment"})
    except ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(f"invalid input: {', '.join(sorted(errors))}", errors) from exc
    data_bytes = upload.read() if upload and upload.filename else None
    return data, data_bytes, (upload.filename if upload else "") or "second-opinion", upload.mimetype if upload else ""


@blp.route("/referrals")
class TasksView(MethodView):
    @blp.arguments(TaskQueryArgsSchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """The open referral tasks the caller's roles decide, in scope (filter, sort, page)."""
        return services.list_tasks(current_actor(), args)


@blp.route("/referrals/<int:task_id>")
class TaskView(MethodView):
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id):
        """One task with its reason, the assessment's trace lines behind it and its decision."""
        task = services.get_task(current_actor(), task_id)
        task.evidence = services.evidence(task)
        return task


@blp.route("/referrals/<int:task_id>/decision")
class DecisionView(MethodView):
    @blp.response(200, TaskSchema)
    @blp.doc(requestBody=DECISION_BODY)
    def post(self, task_id):
        """Clear, reject or return to the SME (JSON; multipart with 'file' for a second opinion)."""
        data, upload, filename, kind = read_decision()
        return services.decide(current_actor(), task_id, data, upload, filename, kind)


@blp.route("/proposals/<int:proposal_id>/referrals")
class ProposalTasksView(MethodView):
    @blp.response(200, TaskSchema(many=True))
    def get(self, proposal_id):
        """Every referral task of a proposal with its outcome (the SME reads why)."""
        return services.tasks_of_proposal(current_actor(), proposal_id)
