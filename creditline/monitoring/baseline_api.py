"""REST: a plan's monthly baseline readings and its non-routine adjustments."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth.current import current_actor
from ..errors import ValidationFailed
from ..schemas import Id, Text
from . import adjustments, baseline
from .services import plan_of

blp = Blueprint("baseline_api", __name__, url_prefix="/api/v1",
                description="Monthly baselines and non-routine adjustments (measurement and verification)")


class MonthSchema(Schema):
    id = Id()
    start = fields.Date()
    end = fields.Date()
    production_output = fields.Decimal(as_string=True)
    drivers = fields.Dict(metadata={"description": "{driver: decimal string}: degree days, operating hours..."})
    quantities = fields.Dict(metadata={"description": "{indicator: decimal string} in the plan's units"})
    source = Text()


class AdjustmentBodySchema(Schema):
    indicator = Text(required=True)
    amount = fields.Raw(required=True, metadata={"description": "decimal string added to the adjusted baseline"})
    reason = Text(required=True, multiline=True, validate=validate.Length(max=2000))


class DecisionBodySchema(Schema):
    note = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=2000),
                metadata={"description": "required to reject"})


class AdjustmentSchema(Schema):
    id = Id()
    indicator = Text()
    amount = fields.String()
    reason = Text()
    status = Text(metadata={"description": "proposed, confirmed or rejected"})
    proposed_by = Id()
    proposed_at = fields.String()
    decided_by = Id(allow_none=True)
    decision_note = Text(allow_none=True)


MONTHS_BODY = {"type": "object", "required": ["months"], "properties": {"months": {
    "type": "array", "items": {"type": "object"},
    "description": ("every baseline month: {start, end, production_output, drivers: {name: value}, "
                    "quantities: {indicator: value}}; replaces the plan's baseline")}}}


@blp.route("/proposals/<int:proposal_id>/baseline-months")
class MonthsView(MethodView):
    @blp.response(200, MonthSchema(many=True))
    def get(self, proposal_id):
        """The monitoring plan's baseline months, oldest first."""
        return baseline.baseline_of(current_actor(), proposal_id)

    @blp.response(200, MonthSchema(many=True))
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": MONTHS_BODY},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
        "text/csv": {"schema": {"type": "string"}}}})
    def put(self, proposal_id):
        """Replace the baseline (JSON, CSV or Excel): at least the rulebook's months; any bad cell stores nothing."""
        actor = current_actor()
        if request.files:
            upload = next(iter(request.files.values()))
            rows = baseline.upload_baseline(actor, proposal_id, upload.read(), upload.filename or "baseline.csv")
        elif request.mimetype == "text/csv":
            rows = baseline.upload_baseline(actor, proposal_id, request.get_data(), "baseline.csv")
        elif request.mimetype.endswith("spreadsheetml.sheet"):
            rows = baseline.upload_baseline(actor, proposal_id, request.get_data(), "baseline.xlsx")
        else:
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict) or not isinstance(payload.get("months"), list):
                raise ValidationFailed("send {months: [...]}, a CSV file or an Excel file", {"months": ["required"]})
            rows = baseline.set_baseline(actor, proposal_id, payload["months"])
        return rows


@blp.route("/proposals/<int:proposal_id>/baseline-adjustments")
class AdjustmentsView(MethodView):
    @blp.response(200, AdjustmentSchema(many=True))
    def get(self, proposal_id):
        """The plan's non-routine adjustments, oldest first, whatever their status."""
        plan = plan_of(current_actor(), proposal_id)
        return [adjustments.adjustment_view(a) for a in adjustments.adjustments_of(plan)]

    @blp.arguments(AdjustmentBodySchema)
    @blp.response(201, AdjustmentSchema)
    def post(self, data, proposal_id):
        """Enter a non-routine adjustment with its reason (verifiers); another verifier confirms it."""
        return adjustments.adjustment_view(adjustments.propose_adjustment(current_actor(), proposal_id, data))


def _decide(adjustment_id: int, target: str, data: dict) -> dict:
    return adjustments.adjustment_view(adjustments.decide_adjustment(current_actor(), adjustment_id, target,
                                                                     data.get("note")))


@blp.route("/baseline-adjustments/<int:adjustment_id>/confirm")
class ConfirmView(MethodView):
    @blp.arguments(DecisionBodySchema)
    @blp.response(200, AdjustmentSchema)
    def post(self, data, adjustment_id):
        """Confirm an adjustment someone else entered (four eyes)."""
        return _decide(adjustment_id, "confirmed", data)


@blp.route("/baseline-adjustments/<int:adjustment_id>/reject")
class RejectView(MethodView):
    @blp.arguments(DecisionBodySchema)
    @blp.response(200, AdjustmentSchema)
    def post(self, data, adjustment_id):
        """Reject an adjustment someone else entered, saying why."""
        return _decide(adjustment_id, "rejected", data)
