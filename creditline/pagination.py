"""Paged lists: query arguments, the envelope every list answers with, and the helper."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from .extensions import db

MAX_PER_PAGE = 200


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
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


def paginate(stmt: Select[Any], page: int = 1, per_page: int = 25) -> Page:
    """Run ``stmt`` for one page and count the whole result."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return Page(list(items), page, per_page, total)
