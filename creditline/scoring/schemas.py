"""Assessment output (design §5) and the batch and simulation shapes."""
from marshmallow import Schema, fields, validate

from ..proposals.schemas import ScoreRequestSchema
from ..schemas import Day, Id, Text, UtcDateTime


class RulebookRefSchema(Schema):
    id = Text()
    version = Text()
    hash = Text()


class ScoresSchema(Schema):
    technical = fields.Integer()
    economic = fields.Integer()
    environmental = fields.Integer()
    total = fields.Integer()


class TraceLineSchema(Schema):
    rule = Text()
    kind = Text()
    outcome = Text(validate=validate.OneOf(["pass", "fail", "refer", "info"]))
    points = fields.Float()
    message = Text()
    inputs = fields.Dict(load_default=None)


class SensitivityRowSchema(Schema):
    factor = Text()
    change = fields.Float()
    decision = Text()
    npv = Text(allow_none=True)
    irr = fields.Float(allow_none=True)
    simple_payback_years = fields.Float(allow_none=True)
    total = fields.Integer()


class CostSplitSchema(Schema):
    total = Text()
    counted = fields.List(fields.Dict())
    excluded = fields.List(fields.Dict(), metadata={"description": "items left out, each with its reason"})


class AssessmentSchema(Schema):
    id = Id(allow_none=True)
    proposal_id = Id(allow_none=True)
    created_at = UtcDateTime(allow_none=True)
    decision = Text()
    rulebook = fields.Nested(RulebookRefSchema)
    scores = fields.Nested(ScoresSchema)
    metrics = fields.Dict()
    trace = fields.List(fields.Nested(TraceLineSchema))
    hints = fields.List(Text())
    sensitivity = fields.List(fields.Nested(SensitivityRowSchema))
    documents_missing = fields.List(Text())
    eligible_costs = fields.Nested(CostSplitSchema, allow_none=True)


class BatchRowSchema(ScoreRequestSchema):
    """One batch row: the what-if body with its own id; loaded partially, the engine checks the rest."""

    credit_line_id = Id(load_default=None)
    id = fields.Raw(load_default=None, metadata={"description": "your reference, echoed in the result"})
    as_of = Day(load_default=None, metadata={"description": "score as of this date (default today)"})


class BatchRowErrorSchema(Schema):
    row = fields.Integer()
    errors = fields.Dict()


class BatchResultSchema(Schema):
    rulebook = fields.Nested(RulebookRefSchema)
    scored = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Dict())
    errors = fields.List(fields.Nested(BatchRowErrorSchema))


# The published rulebooks are under 20,000 characters; ten times that is still a rulebook.
MAX_RULEBOOK_CHARS = 200_000


class SimulationRequestSchema(Schema):
    rulebook_yaml = Text(required=True, multiline=True, max_length=MAX_RULEBOOK_CHARS, metadata={"description": "the draft rulebook, as YAML text"})
    credit_line_id = Id(load_default=None, allow_none=True,
                                    metadata={"description": "limit to one line's proposals"})


class SimulationResultSchema(Schema):
    draft = fields.Nested(RulebookRefSchema)
    compared = fields.Integer()
    decision_changes = fields.Dict()
    grant_band_changes = fields.Integer()
    score_changes = fields.Integer(metadata={"description": "proposals whose total score changes"})
    grant_total_before = fields.Decimal(as_string=True, metadata={"description": "grants the compared proposals "
                                                                                 "earn now"})
    grant_total_after = fields.Decimal(as_string=True, metadata={"description": "grants they would earn with the draft"})
    budget_effect = fields.Decimal(as_string=True, metadata={"description": "after less before: what the draft "
                                                                            "adds to (or saves from) the grant budget"})
    changes = fields.List(fields.Dict())


class RulebookSummarySchema(Schema):
    id = Text()
    version = Text()
    name = Text()
    hash = Text()
    currency = Text()
    effective_from = Day(allow_none=True)
    sources = fields.List(Text())


class RulebookQueryArgsSchema(Schema):
    hash = Text(load_default=None, metadata={
        "description": "the content hash an assessment stored: answers that exact text, even if the file changed"})


class RuleSchema(Schema):
    id = Text()
    kind = Text()
    description = Text()


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
    eligible_costs = fields.List(Text())
    sensitivity = fields.Dict()
    arrears = fields.Dict()
    monitoring = fields.Dict()
    text = Text(metadata={"description": "the YAML file, as loaded (its SHA-256 is the hash)"})
    source = Text(metadata={"description": "file: the installed file; snapshot: the text kept when "
                                                    "it was first used to score (the file has changed since)"})
