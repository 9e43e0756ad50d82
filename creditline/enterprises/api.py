"""REST: enterprises."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from ..list_views import api_list, openapi_doc
from . import services
from .lists import ENTERPRISES
from .schemas import (EnterprisePageSchema, EnterpriseQueryArgsSchema, EnterpriseSchema,
                      EnterpriseUpdateSchema)

blp = Blueprint("enterprises_api", __name__, url_prefix="/api/v1/enterprises",
                description="Enterprises (SMEs)")


@blp.route("")
class EnterprisesView(MethodView):
    @blp.arguments(ENTERPRISES.args_schema(EnterpriseQueryArgsSchema), location="query")
    @blp.response(200, EnterprisePageSchema)
    @blp.doc(**openapi_doc(EnterprisePageSchema))
    def get(self, args):
        """List the enterprises the caller may see: search, filter, sort; ?format=csv|xlsx downloads them all."""
        return api_list(ENTERPRISES, services.enterprises_query(current_actor(), args), args)

    @blp.arguments(EnterpriseSchema)
    @blp.response(201, EnterpriseSchema)
    def post(self, data):
        """Register an enterprise (its SME, or a fund admin)."""
        return services.register_enterprise(current_actor(), data)


@blp.route("/<int:ent_id>")
class EnterpriseView(MethodView):
    @blp.response(200, EnterpriseSchema)
    def get(self, ent_id):
        """Show one enterprise."""
        return services.get_enterprise(current_actor(), ent_id)

    @blp.arguments(EnterpriseUpdateSchema(partial=True))
    @blp.response(200, EnterpriseSchema)
    def patch(self, data, ent_id):
        """Correct an enterprise's facts (its SME, or a fund admin)."""
        return services.update_enterprise(current_actor(), ent_id, data)
