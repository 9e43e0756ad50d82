"""REST: the audit trail, for fund admins and auditors."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.current import current_actor
from ..pagination import PageArgsSchema, page_schema
from . import services
from ..schemas import Id

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit-events", description="Audit trail")


class AuditEventSchema(Schema):
    id = Id()
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor_id = Id(allow_none=True)
    actor_email = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = Id(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class AuditQueryArgsSchema(PageArgsSchema):
    entity_type = fields.String()
    entity_id = Id()
    actor_id = Id()
    actor_email = fields.String()
    action = fields.String()


@blp.route("")
class AuditEventsView(MethodView):
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AuditEventSchema, "AuditEventPage"))
    def get(self, args):
        """List audit events, newest first, filtered by entity, actor or action."""
        return services.list_events(current_actor(), args)
