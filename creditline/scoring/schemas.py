"""Assessment output (design §5) and the batch and simulation shapes."""
from marshmallow import Schema, fields, validate


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


class AssessmentSchema(Schema):
    id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    decision = fields.String()
    rulebook = fields.Nested(RulebookRefSchema)
    scores = fields.Nested(ScoresSchema)
    metrics = fields.Dict()
    trace = fields.List(fields.Nested(TraceLineSchema))
    hints = fields.List(fields.String())
    sensitivity = fields.List(fields.Nested(SensitivityRowSchema))
    documents_missing = fields.List(fields.String())


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
    credit_line_id = fields.Integer(load_default=None, allow_none=True,
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
    sensitivity = fields.Dict()
    arrears = fields.Dict()
    monitoring = fields.Dict()
    text = fields.String(metadata={"description": "the YAML file, as loaded (its SHA-256 is the hash)"})
