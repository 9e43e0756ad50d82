"""Paged lists: query arguments, the envelope every list answers with, and the helper."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from .errors import MAX_DB_ID
from .extensions import db

MAX_PER_PAGE = 200
# Far beyond any real list, yet small enough that the row offset fits every database's integer.
MAX_PAGE = 100_000


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageMetaSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """Build the envelope schema ``{items: [...], page, per_page, total, pages}``."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "page": fields.Integer(),
         "per_page": fields.Integer(), "total": fields.Integer(), "pages": fields.Integer()},
        name=name,
    )


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def page_arg(args: Mapping[str, str] | None = None, name: str = "page") -> int:
    """Read a page number from query arguments: anything missing, garbled or out of range gives 1..MAX_PAGE."""
    raw = (args if args is not None else request.args).get(name, "")
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):  # also refuses signs, blanks and "1e9"
        return 1
    # Digits beyond MAX_PAGE's length are past the end anyway; int() of thousands of digits raises.
    return max(1, min(int(text) if len(text) <= 9 else MAX_PAGE, MAX_PAGE))


def id_arg(name: str, args: Mapping[str, str] | None = None) -> int | None:
    """Read an id filter from query (or form) arguments: None unless it can name a row."""
    text = str((args if args is not None else request.args).get(name) or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_DB_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_DB_ID else None


def paginate(stmt: Select[Any], page: int = 1, per_page: int = 25) -> Page:
    """Run ``stmt`` for one page and count the whole result."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))  # pages that read the number themselves cannot overflow the offset
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return Page(list(items), page, per_page, total)
