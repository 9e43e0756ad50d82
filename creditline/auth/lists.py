"""The users and organisations lists: what they show and how the fund finds, sorts and downloads them."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..listing import CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..vocabulary import label
from .models import ORG_KINDS, ROLES, Organisation, User, UserRole

UserOrganisation = Organisation.__table__.alias("user_organisation")


def _user_joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(UserOrganisation, UserOrganisation.c.id == User.organisation_id)
            .options(selectinload(User.organisation)))


USERS = ListSpec(
    name="users", title="Users", noun="user",
    columns=(
        Column("email", "E-mail", lambda u: u.email, User.email),
        Column("name", "Name", lambda u: u.name, User.name),
        Column("organisation", "Organisation", lambda u: u.organisation.name, UserOrganisation.c.name),
        Column("roles", "Roles", lambda u: ", ".join(sorted(label(r) for r in u.roles))),
        Column("active", "Access", lambda u: "active" if u.active else "disabled", User.active),
        Column("created_at", "Created", lambda u: u.created_at.date(), User.created_at, kind="date"),
    ),
    filters=(
        Filter("q", "E-mail or name", SEARCH, (User.email, User.name)),
        Filter("organisation", "Organisation name", SEARCH, (UserOrganisation.c.name,)),
        Filter("role", "Role", CHOICE, (), ROLES, match=lambda role: User.role_rows.any(UserRole.role == role)),
        Filter("created", "Created", DATES, (User.created_at,)),
    ),
    default_sort="email", tiebreak=User.id, joins=_user_joins,
    empty="No users yet.",
)

ORGANISATIONS = ListSpec(
    name="organisations", title="Organisations", noun="organisation",
    columns=(
        Column("name", "Organisation", lambda o: o.name, Organisation.name),
        Column("kind", "Type", lambda o: o.kind, Organisation.kind, kind="code"),
        Column("country", "Country", lambda o: o.country, Organisation.country),
        Column("created_at", "Created", lambda o: o.created_at.date(), Organisation.created_at, kind="date"),
    ),
    filters=(
        Filter("q", "Organisation name", SEARCH, (Organisation.name,)),
        Filter("kind", "Organisation type", CHOICE, (Organisation.kind,), ORG_KINDS),
        Filter("country", "Country code", SEARCH, (Organisation.country,)),
    ),
    default_sort="name", tiebreak=Organisation.id,
    empty="No organisations yet.",
)
