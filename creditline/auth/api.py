"""REST: tokens, the caller's identity, organisations and users."""
from flask.views import MethodView
from flask_smorest import Blueprint
from ..errors import Unauthorized
from ..list_views import api_list, openapi_doc
from . import services
from .lists import ORGANISATIONS, USERS
from .current import bearer_token, current_actor
from .signin_limits import signin_limited
from .schemas import (OrganisationPageSchema, OrganisationQueryArgsSchema, OrganisationSchema,
                      OrganisationUpdateSchema, TokenRequestSchema, TokenSchema, UserPageSchema,
                      UserQueryArgsSchema, UserSchema, UserUpdateSchema)

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Sign-in, users, organisations")


@blp.route("/auth/token")
class TokenView(MethodView):
    @signin_limited  # outermost: a malformed body counts as an attempt too
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
    @blp.arguments(ORGANISATIONS.args_schema(OrganisationQueryArgsSchema), location="query")
    @blp.response(200, OrganisationPageSchema)
    @blp.doc(**openapi_doc(OrganisationPageSchema))
    def get(self, args):
        """List organisations (fund admins and the fund's auditors); ?format=csv|xlsx downloads them all."""
        return api_list(ORGANISATIONS, services.organisations_query(current_actor(), args), args)

    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data):
        """Create an SME, bank, NCPC or fund organisation (fund admins)."""
        return services.create_organisation(current_actor(), data["kind"], data["name"], data["country"])


@blp.route("/organisations/<int:org_id>")
class OrganisationView(MethodView):
    @blp.response(200, OrganisationSchema)
    def get(self, org_id):
        """Show one organisation (fund admins and the fund's auditors)."""
        return services.get_organisation(current_actor(), org_id)

    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, data, org_id):
        """Rename an organisation or change its country (fund admins)."""
        return services.update_organisation(current_actor(), org_id, data)


@blp.route("/users")
class UsersView(MethodView):
    @blp.arguments(USERS.args_schema(UserQueryArgsSchema), location="query")
    @blp.response(200, UserPageSchema)
    @blp.doc(**openapi_doc(UserPageSchema))
    def get(self, args):
        """List users (fund admins and the fund's auditors); ?format=csv|xlsx downloads them all."""
        return api_list(USERS, services.users_query(current_actor(), args), args)

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user with roles that fit the organisation (fund admins)."""
        return services.create_user(current_actor(), **data)


@blp.route("/users/<int:user_id>")
class UserView(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Show one user (fund admins and the fund's auditors)."""
        return services.read_user(current_actor(), user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user's name or roles, or reset their password (fund admins)."""
        return services.update_user(current_actor(), user_id, data)


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
