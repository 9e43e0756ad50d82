"""REST: the what-if score, batch scoring, rulebooks and rule-change simulation."""
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, validate

from ..schemas import Text

from ..auth.current import current_actor
from ..proposals.schemas import ScoreRequestSchema
from . import batch_io, services
from .schemas import (AssessmentSchema, BatchResultSchema, BatchRowSchema, RulebookQueryArgsSchema, RulebookSchema,
                      RulebookSummarySchema, SimulationRequestSchema, SimulationResultSchema)

blp = Blueprint("scoring_api", __name__, url_prefix="/api/v1", description="Scoring and rulebooks")


class BatchArgsSchema(Schema):
    rulebook = Text(required=True, metadata={"description": "rulebook id, e.g. gctf-vn"})
    version = Text(load_default=None)
    format = Text(load_default="json", validate=validate.OneOf(["json", "csv"]), metadata={
        "description": "json (default): one object per row; csv: the results file `flask score` writes, "
                       "one line per row in the order given, the rejected rows with their problems "
                       "(text/csv; the counts in the X-Scored and X-Rejected headers)"})


# One instance for the life of the process: given the class, webargs builds the schema and every
# nested one again on each request, a fifth of a what-if's parsing. Loading keeps no state on it.
SCORE_REQUEST = ScoreRequestSchema()


@blp.route("/score")
class ScoreView(MethodView):
    @blp.arguments(SCORE_REQUEST)
    @blp.response(200, AssessmentSchema)
    def post(self, body):
        """Score a proposal body without saving it (the what-if)."""
        return services.what_if(current_actor(), body)


BATCH_CSV_HELP = ("one row per proposal: the scalar proposal fields (title, investment, loan_amount, ...), "
                  "cp_options and documents separated by ';', technology_readiness, technology_class, the "
                  "enterprise's employees, annual_turnover, total_assets, domestic_ownership_share, "
                  "operating_since, isic_code, country, and per stream <stream>_baseline_quantity, "
                  "<stream>_baseline_output, <stream>_projected_quantity, <stream>_projected_output")
BATCH_BODY = {"required": True, "description": "a JSON list of proposal bodies (or {\"proposals\": [...]}), "
                                               "or a CSV (or .xlsx) file, uploaded, or CSV sent as the body", "content": {
    "application/json": {"schema": {"type": "array", "minItems": 1, "items": BatchRowSchema,
                                    "description": "proposal bodies, as for POST /score"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": BATCH_CSV_HELP}}}},
    "text/csv": {"schema": {"type": "string", "description": BATCH_CSV_HELP}},
}}


@blp.route("/score/batch")
class BatchView(MethodView):
    @blp.arguments(BatchArgsSchema, location="query")
    @blp.response(200, BatchResultSchema)
    @blp.doc(requestBody=BATCH_BODY, responses={"200": {"description": "the scored rows and the rejected ones", "content": {
        "application/json": {"schema": BatchResultSchema},
        "text/csv": {"schema": {"type": "string", "description": "with format=csv: the results file "
                                                                "flask score writes, one line per row"}}}}})
    def post(self, args):
        """Score a CSV or .xlsx upload or a JSON list of proposals; bad rows are listed by row number."""
        rows = batch_io.batch_from_request(request)
        if args["format"] == "csv":
            out = services.score_batch(current_actor(), args["rulebook"], args["version"], rows, as_csv=True)
            return Response(out["csv"], mimetype="text/csv", headers={
                "Content-Disposition": "attachment; filename=scores.csv",
                "X-Scored": str(out["scored"]), "X-Rejected": str(out["rejected"])})
        return services.score_batch(current_actor(), args["rulebook"], args["version"], rows)


@blp.route("/rulebooks")
class RulebooksView(MethodView):
    @blp.response(200, RulebookSummarySchema(many=True))
    def get(self):
        """List the installed rulebooks with id, version, hash and source."""
        return services.list_rulebooks(current_actor())


@blp.route("/rulebooks/<rulebook_id>/<version>")
class RulebookView(MethodView):
    @blp.arguments(RulebookQueryArgsSchema, location="query")
    @blp.response(200, RulebookSchema)
    def get(self, args, rulebook_id, version):
        """Show one rulebook as data; with ``hash``, exactly the text that scored an assessment."""
        return services.get_rulebook(current_actor(), rulebook_id, version, args["hash"])


@blp.route("/rulebooks/simulate")
class SimulateView(MethodView):
    @blp.arguments(SimulationRequestSchema)
    @blp.response(200, SimulationResultSchema)
    def post(self, data):
        """Show which decisions and grant bands a draft rulebook would change (fund admins)."""
        return services.simulate_draft(current_actor(), data["rulebook_yaml"], data["credit_line_id"])
