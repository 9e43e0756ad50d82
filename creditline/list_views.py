"""A list page: the view model ``templates/_list.html`` renders (filters, headers, rows, pager, downloads)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import render_template, request, url_for
from marshmallow import Schema
from sqlalchemy import Select

from . import list_exports
from .files.content import XLSX
from .listing import (AMOUNTS, CHOICE, DATES, SEARCH, Column, ListSpec, all_rows, page_rows, read_page_args,
                      sort_order)
from .pagination import Page, PageArgsSchema
from .templating import money, percent, quantity
from .vocabulary import event_label, label


def display(column: Column, row: Any) -> str:
    """A cell as people read it: labels for codes, money with its currency, % for shares."""
    value = column.value(row)
    if value is None or value == "":
        return ""
    if column.kind == "money":
        return money(value, column.currency(row) if column.currency else "")
    if column.kind == "percent":
        return percent(value)
    if column.kind == "code":
        return label(value)
    if column.kind == "event":
        return event_label(value)
    if column.kind == "number":
        return quantity(value, column.unit)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class FilterField:
    name: str
    label: str
    kind: str
    value: str
    choices: list[tuple[str, str]]
    error: str


@dataclass
class Header:
    label: str
    href: str | None
    aria_sort: str  # ascending, descending or none
    numeric: bool


@dataclass
class ListView:
    spec: ListSpec
    page: Page
    filters: list[FilterField]
    headers: list[Header]
    rows: list[tuple[Any, list[tuple[str, str | None, bool]]]]  # (row, [(text, link, numeric)])
    csv_href: str
    xlsx_href: str
    prev_href: str | None
    next_href: str | None
    filtered: bool
    clear_href: str
    keep: list[tuple[str, str]]  # the sort, kept when the filters change

    @property
    def noun(self) -> str:
        return self.spec.noun

    @property
    def nouns(self) -> str:
        return self.spec.nouns or self.spec.noun + "s"


def _text(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


def list_view(spec: ListSpec, page: Page, args: dict[str, Any], errors: dict[str, list[str]],
              endpoint: str, **route: Any) -> ListView:
    """Everything the list partial shows; every link keeps the current filters."""
    names = [n for f in spec.filters for n in f.arg_names()]
    current = {n: _text(args.get(n)) for n in names if args.get(n) not in (None, "")}
    key, descending = sort_order(spec, args)
    sort = {"sort": key, "dir": "desc" if descending else "asc"}

    def href(**extra: Any) -> str:
        return url_for(endpoint, **route, **{**current, **sort, **extra})

    fields: list[FilterField] = []
    for f in spec.filters:
        choices = [(c, label(c)) for c in f.choices] if f.kind == CHOICE else []
        for name in f.arg_names():
            suffix = {"_from": " from", "_to": " to", "_min": " at least", "_max": " at most"}
            text = f.label + next((t for s, t in suffix.items() if name.endswith(s)), "") \
                if f.kind in (DATES, AMOUNTS) else f.label
            kind = {SEARCH: "search", CHOICE: "choice", DATES: "date", AMOUNTS: "amount"}[f.kind]
            fields.append(FilterField(name, text, kind, current.get(name, ""), choices,
                                      "; ".join(errors.get(name, []))))
    shown = [c for c in spec.columns if c.on_page]
    headers = []
    for c in shown:
        numeric = c.kind in ("money", "percent", "number")
        if c.sort is None:
            headers.append(Header(c.label, None, "none", numeric))
            continue
        active = c.key == key
        flip = "asc" if active and descending else "desc" if active else ("desc" if numeric else "asc")
        headers.append(Header(c.label, href(sort=c.key, dir=flip),
                              ("descending" if descending else "ascending") if active else "none", numeric))
    rows = [(r, [(display(c, r), c.link(r) if c.link else None, c.kind in ("money", "percent", "number"))
                 for c in shown]) for r in page.items]
    return ListView(spec, page, fields, headers, rows, href(format="csv"), href(format="xlsx"),
                    href(page=page.page - 1) if page.has_prev else None,
                    href(page=page.page + 1) if page.has_next else None,
                    bool(current) or any(v is not None for v in route.values()), url_for(endpoint, **route),
                    list(sort.items()) + [(k, str(v)) for k, v in route.items() if v is not None])


def list_page(spec: ListSpec, query: Callable[[dict[str, Any]], Select[Any]], template: str, endpoint: str, *,
              base: type[Schema] = PageArgsSchema, route: dict[str, Any] | None = None,
              extra: Callable[[], dict[str, Any]] | None = None, per_page: int = 25, **context: Any) -> Any:
    """Render a list page, or download what it filters (``?format=csv|xlsx``).

    ``query(args)`` is the caller's scoped SELECT (with any arguments of the list's own);
    ``extra()`` adds what only the page shows (not computed for a download).
    """
    args, errors = read_page_args(spec, request.args, base, per_page)
    if args.get("format"):
        return list_exports.response(spec, all_rows(spec, query(args), args), args["format"])
    page = page_rows(spec, query(args), args)
    view = list_view(spec, page, args, errors, endpoint, **(route or {}))
    return render_template(template, view=view, args=args, **context, **(extra() if extra else {}))


def api_list(spec: ListSpec, query: Select[Any], args: dict[str, Any]) -> Any:
    """An API list: one page of JSON, or every filtered row as CSV or XLSX."""
    if args.get("format"):
        return list_exports.response(spec, all_rows(spec, query, args), args["format"])
    return page_rows(spec, query, args)


def openapi_doc(page_schema: Any) -> dict[str, Any]:
    """The list's 200: a page of JSON, or the download ``?format=csv|xlsx`` asks for."""
    return {"responses": {"200": {
        "description": "one page of JSON; with ?format=csv or ?format=xlsx every row matching the filters, "
                       "as an attachment whose headers carry units and currency",
        "content": {"application/json": {"schema": page_schema},
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}
