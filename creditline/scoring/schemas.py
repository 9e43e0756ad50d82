"""Assessment output (design §5) and the batch and simulation shapes."""
from marshmallow import Schema, fields, validate

from ..proposals.schemas import ScoreRequestSchema
from ..schemas import Id


class RulebookRefSchema(Schema):
    id = fields.String()
    version = fields.String()
    hash = fields.String()


class ScoresSchema(Schema):
    technical = fields.Integer()
    economic = fields.Integer()
    environmental = fields.Integer()
    total = fields.Integer()


class TraceLineSchema(Schema):
    rule = fields.String()
    kind = fields.String()
    outcome = fields.String(validate=validate.OneOf(["pass", "fail", "refer", "info"]))
    points = fields.Float()
    message = fields.String()
    inputs = fields.Dict(load_default=None)


class SensitivityRowSchema(Schema):
    factor = fields.String()
    change = fields.Float()
    decision = fields.String()
    npv = fields.String(allow_none=True)
    irr = fields.Float(allow_none=True)
    simple_payback_years = fields.Float(allow_none=True)
    total = fields.Integer()


class CostSplitSchema(Schema):
    total = fields.String()
    counted = fields.List(fields.Dict())
    excluded = fields.List(fields.Dict(), metadata={"description": "items left out, each with its reason"})


class AssessmentSchema(Schema):
    id = Id(allow_none=True)
    proposal_id = Id(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    decision = fields.String()
    rulebook = fields.Nested(RulebookRefSchema)
    scores = fields.Nested(ScoresSchema)
    metrics = fields.Dict()
    trace = fields.List(fields.Nested(TraceLineSchema))
    hints = fields.List(fields.String())
    sensitivity = fields.List(fields.Nested(SensitivityRowSchema))
    documents_missing = fields.List(fields.String())
    eligible_costs = fields.Nested(CostSplitSchema, allow_none=True)


class BatchRowSchema(ScoreRequestSchema):
    """One batch row: the what-if body with its own id; loaded partially, the engine checks the rest."""

    credit_line_id = Id(load_default=None)
    id = fields.Raw(load_default=None, metadata={"description": "your reference, echoed in the result"})
    as_of = fields.Date(load_default=None, metadata={"description": "score as of this date (default today)"})


class BatchRowErrorSchema(Schema):
    row = fields.Integer()
    errors = fields.Dict()


class BatchResultSchema(Schema):
    rulebook = fields.Nested(RulebookRefSchema)
    scored = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Dict())
    errors = fields.List(fields.Nested(BatchRowErrorSchema))


class SimulationRequestSchema(Schema):
    rulebook_yaml = fields.String(required=True, metadata={"description": "the draft rulebook, as YAML text"})
    credit_line_id = Id(load_default=None, allow_none=True,
                                    metadata={"description": "limit to one line's proposals"})


class SimulationResultSchema(Schema):
    draft = fields.Nested(RulebookRefSchema)
    compared = fields.Integer()
    decision_changes = fields.Dict()
    grant_band_changes = fields.Integer()
    changes = fields.List(fields.Dict())


class RulebookSummarySchema(Schema):
    id = fields.String()
    version = fields.String()
    name = fields.String()
    hash = fields.String()
    currency = fields.String()
    effective_from = fields.Date(allow_none=True)
    sources = fields.List(fields.String())


class RulebookQueryArgsSchema(Schema):
    hash = fields.String(load_default=None, metadata={
        "description": "the content hash an assessment stored: answers that exact text, even if the file changed"})


class RuleSchema(Schema):
    id = fields.String()
    kind = fields.String()
    description = fields.String()


class RulebookSchema(RulebookSummarySchema):
    rules = fields.List(fields.Nested(RuleSchema))
    decision = fields.Dict()
    weights = fields.Dict()
    grant_bands = fields.Dict()
    guarantee = fields.Dict()
    finance = fields.Dict()
    documents = fields.List(fields.Dict())
    fast_track = fields.List(fields.Dict())
    emission_factors = fields.Dict()
    eligible_costs = fields.List(fields.String())
    sensitivity = fields.Dict()
    arrears = fields.Dict()
    monitoring = fields.Dict()
    text = fields.String(metadata={"description": "the YAML file, as loaded (its SHA-256 is the hash)"})
    source = fields.String(metadata={"description": "file: the installed file; snapshot: the text kept when "
                                                    "it was first used to score (the file has changed since)"})
