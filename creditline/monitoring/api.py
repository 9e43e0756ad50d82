"""REST: monitoring plans, reports (JSON, CSV or Excel) and their evidence files."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import ValidationFailed
from ..openapi import XLSX, file_response
from ..list_views import api_list, openapi_doc
from . import review, services
from .lists import MONITORING_REPORTS, reports_query
from .schemas import (EvidenceSchema, PlanBodySchema, PlanSchema, ReportBodySchema, ReportListArgsSchema,
                      ReportPageSchema, ReportSchema, ReviewBodySchema)

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


@blp.route("/monitoring-reports")
class AllReportsView(MethodView):
    @blp.arguments(MONITORING_REPORTS.args_schema(ReportListArgsSchema), location="query")
    @blp.response(200, ReportPageSchema)
    @blp.doc(**openapi_doc(ReportPageSchema))
    def get(self, args):
        """Every report version in scope, across proposals: search, filter, sort; ?format=csv|xlsx downloads them."""
        return api_list(MONITORING_REPORTS, reports_query(current_actor(), args), args)


@blp.route("/proposals/<int:proposal_id>/monitoring-reports")
class ReportsView(MethodView):
    @blp.response(200, ReportSchema(many=True))
    @blp.doc(parameters=[{"in": "query", "name": "history", "schema": {"type": "boolean"},
                          "description": "every version, returned ones included"}])
    def get(self, proposal_id):
        """The latest version of each period's report, in period order (``?history=true``: every version)."""
        history = request.args.get("history", "").lower() in ("1", "true", "yes")
        return services.reports_of(current_actor(), proposal_id, history=history)

    @blp.response(201, ReportSchema(many=True))
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
        "text/csv": {"schema": {"type": "string"}}}})
    def post(self, proposal_id):
        """Report one period (an object), several (a list), or upload CSV/XLSX; any bad row stores nothing."""
        if request.files:
            upload = next(iter(request.files.values()))
            return services.submit_upload(current_actor(), proposal_id, upload.read(), upload.filename or "upload.csv")
        if request.mimetype == "text/csv":
            return services.submit_upload(current_actor(), proposal_id, request.get_data(), "upload.csv")
        if request.mimetype.endswith("spreadsheetml.sheet"):
            return services.submit_upload(current_actor(), proposal_id, request.get_data(), "upload.xlsx")
        items, single = _report_items()
        return services.submit_reports(current_actor(), proposal_id, items, source="json", single=single)


EVIDENCE_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "the evidence (invoice, meter reading, lab result); stored by SHA-256"},
                   "description": {"type": "string", "maxLength": 200, "description": "what the file shows"}}}}}}


@blp.route("/monitoring-reports/<int:report_id>/evidence")
class EvidenceView(MethodView):
    @blp.response(201, EvidenceSchema)
    @blp.doc(requestBody=EVIDENCE_BODY)
    def post(self, report_id):
        """Attach an evidence file (multipart: file, description); stored with its SHA-256."""
        upload = request.files.get("file")
        return services.add_evidence(current_actor(), report_id, upload.read() if upload else None,
                                     (upload.filename if upload else None) or "evidence",
                                     upload.mimetype if upload else "", request.form.get("description"))


@blp.route("/monitoring-reports/<int:report_id>/accept")
class AcceptView(MethodView):
    @blp.arguments(ReviewBodySchema)
    @blp.response(200, ReportSchema)
    def post(self, data, report_id):
        """Accept a submitted report: only accepted reports count in a verification (NCPC verifiers)."""
        return review.review_report(current_actor(), report_id, "accept", data.get("reason"))


@blp.route("/monitoring-reports/<int:report_id>/return")
class ReturnView(MethodView):
    @blp.arguments(ReviewBodySchema)
    @blp.response(200, ReportSchema)
    def post(self, data, report_id):
        """Return a submitted report with a reason; the SME corrects it as a new version (NCPC verifiers)."""
        return review.review_report(current_actor(), report_id, "return", data.get("reason"))


@blp.route("/proposals/<int:proposal_id>/monitoring-reports/template.<fmt>")
class TemplateView(MethodView):
    @blp.doc(**file_response("template.csv or template.xlsx, ready to fill in", "text/csv", XLSX))
    def get(self, proposal_id, fmt):
        """Download the upload template (csv or xlsx) with the plan's periods and indicators."""
        from ..files.disposition import download
        data, name, kind = services.template_for(current_actor(), proposal_id, fmt)
        return download(data, name, kind)
