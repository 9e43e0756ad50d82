"""REST: credit lines."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.current import current_actor
from . import services
from .schemas import (CreditLinePageSchema, CreditLineQueryArgsSchema, CreditLineSchema,
                      CreditLineUpdateSchema)

blp = Blueprint("creditlines_api", __name__, url_prefix="/api/v1/credit-lines",
                description="Credit lines and their terms")


@blp.route("")
class CreditLinesView(MethodView):
    @blp.arguments(CreditLineQueryArgsSchema, location="query")
    @blp.response(200, CreditLinePageSchema)
    def get(self, args):
        """List the credit lines the caller may see."""
        return services.list_credit_lines(current_actor(), args)

    @blp.arguments(CreditLineSchema)
    @blp.response(201, CreditLineSchema)
    def post(self, data):
        """Create a credit line (fund admins)."""
        return services.create_credit_line(current_actor(), data)


@blp.route("/<int:line_id>")
class CreditLineView(MethodView):
    @blp.response(200, CreditLineSchema)
    def get(self, line_id):
        """Show one credit line."""
        return services.get_credit_line(current_actor(), line_id)

    @blp.arguments(CreditLineUpdateSchema)
    @blp.response(200, CreditLineSchema)
    def patch(self, data, line_id):
        """Change a credit line (fund admins)."""
        return services.update_credit_line(current_actor(), line_id, data)
