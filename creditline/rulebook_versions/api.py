"""REST: rulebook versions drafted, compared and published by the fund's admins (four-eyes)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from . import services
from .schemas import (DraftRequestSchema, PublishRequestSchema, RulebookVersionDetailSchema, RulebookVersionSchema,
                      VersionQuerySchema)

blp = Blueprint("rulebook_versions_api", __name__, url_prefix="/api/v1",
                description="Rulebook versions: draft, compare, publish")


@blp.route("/rulebook-versions")
class VersionsView(MethodView):
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, RulebookVersionSchema(many=True))
    def get(self, args):
        """List rulebook versions: published ones for everyone, drafts for the fund's admins and auditors."""
        return services.list_versions(current_actor(), args["rulebook_id"])

    @blp.arguments(DraftRequestSchema)
    @blp.response(201, RulebookVersionDetailSchema)
    def post(self, data):
        """Draft a new version (fund admins); 422 lists each schema problem with its path and line."""
        actor = current_actor()
        return services.version_view(services.create_draft(actor, data["rulebook_yaml"]), full=True)


@blp.route("/rulebook-versions/<int:version_id>")
class VersionView(MethodView):
    @blp.response(200, RulebookVersionDetailSchema)
    def get(self, version_id):
        """One version with its text, its difference from the version in force and its failing cases."""
        return services.version_view(services.get_version(current_actor(), version_id), full=True)

    @blp.arguments(DraftRequestSchema)
    @blp.response(200, RulebookVersionDetailSchema)
    def put(self, data, version_id):
        """Replace a draft's text (a published text never changes)."""
        actor = current_actor()
        return services.version_view(services.update_draft(actor, version_id, data["rulebook_yaml"]), full=True)


@blp.route("/rulebook-versions/<int:version_id>/publish")
class PublishView(MethodView):
    @blp.arguments(PublishRequestSchema)
    @blp.response(200, RulebookVersionDetailSchema)
    def post(self, data, version_id):
        """Publish a draft from a day: a second fund admin, its cases holding, one version in force per day."""
        actor = current_actor()
        return services.version_view(services.publish(actor, version_id, data["effective_from"]), full=True)
