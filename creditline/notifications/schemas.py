"""Notifications as the API shows them."""
from marshmallow import Schema, fields

from ..pagination import PageArgsSchema, page_schema
from ..schemas import Id, UtcDateTime


class NotificationSchema(Schema):
    id = Id()
    kind = fields.String(metadata={"description": "what happened, e.g. loan_to_decide, grant_paid, report_due"})
    subject = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True, metadata={"description": "the page it is about"})
    entity_type = fields.String(allow_none=True)
    entity_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True, metadata={"description": "when the step it asked for was taken"})
    emailed_at = UtcDateTime(allow_none=True)


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


class NotificationQueryArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only the unread ones"})


class ReadAllSchema(Schema):
    marked_read = fields.Integer(metadata={"description": "how many were unread"})
    unread = fields.Integer()
