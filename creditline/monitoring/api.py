"""REST: monitoring plans, reports (JSON, CSV or Excel) and their evidence files."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import ValidationFailed
from . import services
from .schemas import EvidenceSchema, PlanBodySchema, PlanSchema, ReportBodySchema, ReportSchema

blp = Blueprint("monitoring_api", __name__, url_prefix="/api/v1", description="Monitoring plans and reports")


@blp.route("/proposals/<int:proposal_id>/monitoring-plan")
class PlanView(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, proposal_id):
        """The proposal's monitoring plan with its reporting periods."""
        return services.plan_of(current_actor(), proposal_id)

    @blp.arguments(PlanBodySchema)
    @blp.response(201, PlanSchema)
    def post(self, data, proposal_id):
        """Set the plan (NCPC verifiers); replaceable until the first report arrives."""
        return services.set_plan(current_actor(), proposal_id, data)


def _report_items() -> tuple[list[dict], bool]:
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed("send JSON, a CSV file or an Excel file", {"body": ["no readable report"]})
    single = isinstance(payload, dict) and "reports" not in payload
    items = [payload] if single else (payload["reports"] if isinstance(payload, dict) else payload)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed("reports must be objects", {"reports": ["a list of report objects"]})
    errors, loaded = {}, []
    for n, item in enumerate(items):
        try:
            loaded.append(ReportBodySchema().load(item))
        except ValidationError as exc:
            prefix = "" if single else f"reports.{n}."
            errors.update({f"{prefix}{k}": v for k, v in exc.normalized_messages().items()})
    if errors:
        raise ValidationFailed("the report was not stored", errors)
    return loaded, single


@blp.route("/proposals/<int:proposal_id>/monitoring-reports")
class ReportsView(MethodView):
    @blp.response(200, ReportSchema(many=True))
    def get(self, proposal_id):
        """The reports received, in period order."""
        return services.reports_of(current_actor(), proposal_id)

    @blp.response(201, ReportSchema(many=True))
    def post(self, proposal_id):
        """Report one period (an object) or several (a list); any bad item stores nothing."""
        items, single = _report_items()
        return services.submit_reports(current_actor(), proposal_id, items, source="json", single=single)


@blp.route("/monitoring-reports/<int:report_id>/evidence")
class EvidenceView(MethodView):
    @blp.response(201, EvidenceSchema)
    def post(self, report_id):
        """Attach an evidence file (multipart: file, description); stored with its SHA-256."""
        upload = request.files.get("file")
        return services.add_evidence(current_actor(), report_id, upload.read() if upload else None,
                                     (upload.filename if upload else None) or "evidence",
                                     upload.mimetype if upload else "", request.form.get("description"))
