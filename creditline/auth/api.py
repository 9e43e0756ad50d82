"""REST: tokens, the caller's identity, organisations and users."""
from flask.views import MethodView
from flask_smorest import Blueprint
from ..errors import Unauthorized
from ..pagination import PageArgsSchema
from . import services
from .current import bearer_token, current_actor
from .schemas import (OrganisationPageSchema, OrganisationSchema, TokenRequestSchema, TokenSchema,
                      UserPageSchema, UserQueryArgsSchema, UserSchema)

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Sign-in, users, organisations")


@blp.route("/auth/token")
class TokenView(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, creds):
        """Exchange e-mail and password for an expiring bearer token."""
        user = services.authenticate(creds["email"], creds["password"])
        plain, token = services.issue_token(user)
        return {"token": plain, "token_type": "Bearer", "expires_at": token.expires_at, "user": user}

    @blp.response(204)
    def delete(self):
        """Revoke the bearer token this request carries."""
        token = bearer_token()
        if token is None:
            raise Unauthorized("send the token to revoke as 'Authorization: Bearer <token>'")
        services.revoke_token(token)


@blp.route("/auth/me")
class MeView(MethodView):
    @blp.response(200, UserSchema)
    def get(self):
        """Return the signed-in user with organisation and roles."""
        return services.get_user(current_actor().user_id)


@blp.route("/organisations")
class OrganisationsView(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    def get(self, args):
        """List organisations (fund admins and auditors)."""
        return services.list_organisations(current_actor(), args["page"], args["per_page"])

    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data):
        """Create an SME, bank, NCPC or fund organisation (fund admins)."""
        return services.create_organisation(current_actor(), data["kind"], data["name"], data["country"])


@blp.route("/users")
class UsersView(MethodView):
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """List users (fund admins and auditors)."""
        return services.list_users(current_actor(), args)

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user with roles that fit the organisation (fund admins)."""
        return services.create_user(current_actor(), **data)


@blp.route("/users/<int:user_id>/disable")
class DisableUserView(MethodView):
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Disable an account and revoke its tokens (fund admins)."""
        return services.set_user_active(current_actor(), user_id, False)


@blp.route("/users/<int:user_id>/enable")
class EnableUserView(MethodView):
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Enable an account again (fund admins)."""
        return services.set_user_active(current_actor(), user_id, True)
