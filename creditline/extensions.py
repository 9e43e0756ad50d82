"""Unbound extensions; create_app binds them."""
from __future__ import annotations

from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .database import Base
from .errors import ErrorSchema
from .openapi import CreditlinePlugin

# OpenAPI component name -> the schema class that owns it, so two classes never share a name.
_SCHEMA_NAMES: dict[str, type] = {}


def schema_name(schema: Any) -> str:
    """Name a schema in openapi.json: its class name, prefixed by its package when taken."""
    cls = schema if isinstance(schema, type) else type(schema)
    base = cls.__name__.removesuffix("Schema") or cls.__name__
    owner = _SCHEMA_NAMES.setdefault(base, cls)
    if owner is cls:
        return base
    # Two packages may each have an ``ApproveSchema``; the second becomes ``GrantsApprove``.
    parts = cls.__module__.split(".")
    package = parts[1] if len(parts) > 1 and parts[0] == "creditline" else parts[0]
    name = f"{package.title()}{base}"
    _SCHEMA_NAMES.setdefault(name, cls)
    return name


class CreditlineApi(Api):
    """flask-smorest's Api documenting our error body instead of its default one."""

    ERROR_SCHEMA = ErrorSchema


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage and limits come from the app's config (creditline.auth.signin_limits).
limiter = Limiter(get_remote_address, in_memory_fallback_enabled=True)
api = CreditlineApi(spec_kwargs={"marshmallow_plugin": CreditlinePlugin(schema_name_resolver=schema_name)})
