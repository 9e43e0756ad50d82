"""REST: the caller's own notifications (the inbox), unread first; mark one or all read."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from . import services
from .schemas import NotificationPageSchema, NotificationQueryArgsSchema, NotificationSchema, ReadAllSchema

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1",
                description="The caller's inbox: hand-offs and reminders addressed to them")


@blp.route("/notifications")
class NotificationsView(MethodView):
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args):
        """The caller's notifications, unread first, newest first within each."""
        return services.inbox(current_actor(), args["page"], args["per_page"], unread_only=args["unread"])


@blp.route("/notifications/<int:notification_id>/read")
class ReadView(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of the caller's notifications read (another person's answers 404)."""
        return services.mark_read(current_actor(), notification_id)


@blp.route("/notifications/read-all")
class ReadAllView(MethodView):
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark every unread notification of the caller read."""
        actor = current_actor()
        return {"marked_read": services.mark_all_read(actor), "unread": services.unread_count(actor)}
