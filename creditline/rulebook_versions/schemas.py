"""REST shapes of rulebook versions: drafts, their difference from the version in force, publishing."""
from marshmallow import Schema, fields

from ..schemas import Day, Id, Text, UtcDateTime
from ..scoring.schemas import MAX_RULEBOOK_CHARS, RulebookRefSchema


class VersionQuerySchema(Schema):
    rulebook_id = Text(load_default=None, max_length=64, metadata={"description": "only this rulebook, e.g. gctf-vn"})


class DraftRequestSchema(Schema):
    rulebook_yaml = Text(required=True, multiline=True, max_length=MAX_RULEBOOK_CHARS,
                         metadata={"description": "the whole rulebook, as YAML text (`flask rules schema` lists "
                                                  "its keys)"})


class PublishRequestSchema(Schema):
    effective_from = Day(load_default=None, metadata={"description": "the first day the version applies "
                                                                     "(today by default, never in the past)"})


class RulebookVersionSchema(Schema):
    id = Id()
    rulebook_id = Text()
    version = Text()
    hash = Text()
    status = Text(metadata={"description": "draft, published or retired"})
    effective_from = fields.Date(allow_none=True)
    drafted_by = Id(allow_none=True)
    published_by = Id(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)


class RulebookVersionDetailSchema(RulebookVersionSchema):
    text = Text(multiline=True)
    in_force = fields.Nested(RulebookRefSchema, allow_none=True,
                             metadata={"description": "the version that applies today, which the diff starts from"})
    diff = fields.List(fields.String(), metadata={"description": "unified difference from the version in force"})
    case_problems = fields.List(fields.String(), metadata={"description": "cases that do not hold (publishing "
                                                                           "is refused while any is listed)"})
