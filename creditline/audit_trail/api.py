"""REST: the audit trail, for fund admins and auditors."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.current import current_actor
from ..pagination import PageArgsSchema, page_schema
from ..list_views import api_list, openapi_doc
from . import services
from .lists import AUDIT_EVENTS
from ..schemas import Id, Text, UtcDateTime

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit-events", description="Audit trail")


class AuditEventSchema(Schema):
    id = Id()
    seq = fields.Integer()
    occurred_at = UtcDateTime()
    actor_id = Id(allow_none=True)
    actor_email = Text(allow_none=True)
    action = Text()
    entity_type = Text()
    entity_id = Id(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    prev_hash = Text()
    hash = Text()


AuditEventPage = page_schema(AuditEventSchema, "AuditEventPage")


class AuditQueryArgsSchema(PageArgsSchema):
    entity_type = Text()
    entity_id = Id()
    actor_id = Id()
    actor_email = Text()
    action = Text()


@blp.route("")
class AuditEventsView(MethodView):
    @blp.arguments(AUDIT_EVENTS.args_schema(AuditQueryArgsSchema), location="query")
    @blp.response(200, AuditEventPage)
    @blp.doc(**openapi_doc(AuditEventPage))
    def get(self, args):
        """List audit events, newest first, filtered by entity, actor, action or day; ?format=csv|xlsx downloads them."""
        return api_list(AUDIT_EVENTS, services.events_query(current_actor(), args), args)
