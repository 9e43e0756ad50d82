"""Sign-in, token, organisation and user shapes."""
from marshmallow import Schema, fields, post_dump, validate

from ..pagination import PageArgsSchema, page_schema
from ..schemas import COUNTRY, Id, Text, UtcDateTime
from .models import ORG_KINDS, ROLES


class TokenRequestSchema(Schema):
    email = fields.Email(required=True)
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class OrganisationSchema(Schema):
    id = Id(dump_only=True)
    kind = Text(required=True, validate=validate.OneOf(ORG_KINDS))
    name = Text(required=True, validate=validate.Length(min=2, max=200))
    country = Text(required=True, validate=COUNTRY)


class OrganisationUpdateSchema(Schema):
    name = Text(validate=validate.Length(min=2, max=200))
    country = Text(validate=COUNTRY)


class OrganisationQueryArgsSchema(PageArgsSchema):
    kind = Text(validate=validate.OneOf(ORG_KINDS))


class UserSchema(Schema):
    id = Id(dump_only=True)
    email = fields.Email(required=True)
    name = Text(required=True, validate=validate.Length(min=2, max=200))
    password = Text(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    organisation_id = Id(required=True)
    roles = fields.List(Text(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    active = fields.Boolean(dump_only=True)
    organisation = fields.Nested(OrganisationSchema, dump_only=True)

    @post_dump
    def _sorted_roles(self, data: dict, **_: object) -> dict:
        # Roles are a set: answer them in one order whatever the database returns.
        if "roles" in data:
            data["roles"] = sorted(data["roles"])
        return data


class UserUpdateSchema(Schema):
    name = Text(validate=validate.Length(min=2, max=200))
    roles = fields.List(Text(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1))
    password = Text(load_only=True, validate=validate.Length(min=10, max=200),
                             metadata={"description": "A new password: resets it and ends the user's tokens"})


class TokenSchema(Schema):
    token = Text()
    token_type = Text()
    expires_at = UtcDateTime()
    user = fields.Nested(UserSchema)


class UserQueryArgsSchema(PageArgsSchema):
    organisation_id = Id()
    role = Text(validate=validate.OneOf(ROLES))


UserPageSchema = page_schema(UserSchema, "UserPage")
OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPage")
