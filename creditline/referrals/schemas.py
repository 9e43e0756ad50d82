"""Referral tasks and decisions as the API shows and reads them."""
from marshmallow import Schema, fields, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import Id, Text, UtcDateTime
from ..measurement.sufficiency import OFFSET_METHODS
from .models import DECISIONS, TASK_STATES
from .reasons import OWNERS
from .services import SORTS


class StoredFileRefSchema(Schema):
    id = Id()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()


class DecisionOutSchema(Schema):
    id = Id()
    decision = fields.String()
    comment = fields.String()
    details = fields.Dict()
    file = fields.Nested(StoredFileRefSchema, allow_none=True)
    decided_by = Id()
    decided_at = UtcDateTime()


class TaskSchema(Schema):
    id = Id()
    proposal_id = Id()
    proposal_title = fields.Function(lambda t: t.proposal.title)
    proposal_status = fields.Function(lambda t: t.proposal.status)
    assessment_id = Id()
    reason = fields.String(metadata={"description": "worse_indicator | double_funding | second_opinion | judgement"})
    rule = fields.String(metadata={"description": "the rulebook rule whose trace line referred the proposal"})
    message = fields.String()
    owner = fields.String(metadata={"description": "ncpc | fund | second_opinion (whoever gives it)"})
    blocking = fields.Boolean(metadata={"description": "false for a second opinion: it holds up loan approval only"})
    status = fields.String()
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)
    decision = fields.Nested(DecisionOutSchema, allow_none=True)


class TaskDetailSchema(TaskSchema):
    evidence = fields.List(fields.Dict(), metadata={"description": "the assessment's trace lines behind the task"})


TaskPageSchema = page_schema(TaskSchema, "ReferralTaskPage")


class TaskQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default="open", validate=validate.OneOf([*TASK_STATES, ""]))
    reason = fields.String(load_default=None, validate=validate.OneOf(list(OWNERS)))
    proposal_id = Id(load_default=None)
    sort = fields.String(load_default="created_at",
                         validate=validate.OneOf([*SORTS, *(f"-{k}" for k in SORTS)]))
    all_owners = fields.Boolean(load_default=False, metadata={
        "description": "also the tasks other roles own (read only); default: the ones you decide"})


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(list(DECISIONS)))
    comment = Text(required=True, multiline=True, validate=validate.Length(max=4000))
    offset_method = fields.String(load_default=None, validate=validate.OneOf(OFFSET_METHODS), metadata={
        "description": "worse indicators (NCPC): how their losses offset the main gain; required to clear"})
    given_by = Text(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "second opinion: the reference centre that gave it (send the document as 'file')"})
