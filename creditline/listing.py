"""One list kernel: what a list shows, how it is found, sorted, paged and exported.

Each list (proposals, loans, ...) declares a :class:`ListSpec`; the page view and the API
endpoint both read their query arguments through :meth:`ListSpec.args_schema` and run
:func:`select_rows` on top of the caller's scoped query, so a filter means the same on the page,
in the JSON and in the CSV/XLSX download. Filtering, sorting and paging happen in SQL.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import DateTime, Select, or_

from .errors import ValidationFailed
from .extensions import db
from .schemas import Text
from .pagination import MAX_PAGE, MAX_PER_PAGE, Page, PageArgsSchema, paginate

# A download is one file a person opens in a spreadsheet; beyond this they should narrow the filters.
MAX_EXPORT_ROWS = 20_000
FORMATS = ("csv", "xlsx")
SEARCH, CHOICE, DATES, AMOUNTS = "search", "choice", "dates", "amounts"


@dataclass(frozen=True)
class Column:
    """One column: ``value(row)`` is the raw value; ``kind`` says how people read it.

    kinds: text, code (shown by its label), event (an audited ``entity.action``), money (``currency(row)`` names the currency),
    percent (a fraction shown as %), date, number (``unit`` names the unit).
    """

    key: str
    label: str
    value: Callable[[Any], Any]
    sort: Any = None  # the SQL expression to order by; None: not sortable
    kind: str = "text"
    unit: str = ""
    currency: Callable[[Any], str | None] | None = None
    link: Callable[[Any], str] | None = None  # the row's page (called in a request)
    on_page: bool = True  # False: only in the downloads (the page shows it its own way)


@dataclass(frozen=True)
class Filter:
    """A filter: a text search over ``targets``, a choice, a date range or an amount range."""

    name: str
    label: str
    kind: str
    targets: tuple[Any, ...]
    choices: tuple[str, ...] = ()
    # A search or choice that is not "like"/"==" on the targets (a user holding a role): value -> condition.
    match: Callable[[Any], Any] | None = None

    def arg_names(self) -> tuple[str, ...]:
        if self.kind == DATES:
            return (f"{self.name}_from", f"{self.name}_to")
        if self.kind == AMOUNTS:
            return (f"{self.name}_min", f"{self.name}_max")
        return (self.name,)


@dataclass(frozen=True)
class ListSpec:
    name: str  # the download's file name
    title: str
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...]
    default_sort: str  # "created_at" or "-created_at" (newest first)
    tiebreak: Any  # a unique column, so pages never overlap
    joins: Callable[[Select[Any]], Select[Any]] | None = None  # what the sorts and searches read
    empty: str = "Nothing here yet."
    noun: str = "row"
    nouns: str = ""  # the plural, when it is not noun + "s"
    schema_cache: dict[str, type[Schema]] = field(default_factory=dict, compare=False, repr=False)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def sort_keys(self) -> list[str]:
        return [c.key for c in self.columns if c.sort is not None]

    def args_schema(self, base: type[Schema] = PageArgsSchema) -> type[Schema]:
        """The query arguments: the base's own, each filter's, ``sort``/``dir`` and ``format``."""
        key = base.__name__
        if key not in self.schema_cache:
            self.schema_cache[key] = _build_schema(self, base)
        return self.schema_cache[key]


def _build_schema(spec: ListSpec, base: type[Schema]) -> type[Schema]:
    attrs: dict[str, Any] = {}
    for f in spec.filters:
        if f.kind == SEARCH:
            attrs[f.name] = Text(max_length=200,
                                          metadata={"description": f"search {f.label.lower()}"})
        elif f.kind == CHOICE:
            attrs[f.name] = Text(validate=validate.OneOf(f.choices), metadata={"description": f.label})
        elif f.kind == DATES:
            low, high = f.arg_names()
            attrs[low] = fields.Date(metadata={"description": f"{f.label} on or after this day"})
            attrs[high] = fields.Date(metadata={"description": f"{f.label} on or before this day"})
        elif f.kind == AMOUNTS:
            low, high = f.arg_names()
            amount = {"as_string": True, "places": 2, "allow_nan": False,
                      "validate": validate.Range(min=0, max=Decimal("1e14"))}
            attrs[low] = fields.Decimal(**amount, metadata={"description": f"{f.label} at least this"})
            attrs[high] = fields.Decimal(**amount, metadata={"description": f"{f.label} at most this"})
    sorts = spec.sort_keys
    attrs["sort"] = Text(load_default=spec.default_sort, validate=validate.OneOf(
        sorts + [f"-{k}" for k in sorts]), metadata={"description": "column to sort by; a leading - sorts descending"})
    attrs["dir"] = Text(validate=validate.OneOf(("asc", "desc")),
                                 metadata={"description": "sort direction (overrides a leading -)"})
    attrs["format"] = Text(validate=validate.OneOf(FORMATS), metadata={
        "description": "csv or xlsx: download every row that matches the filters instead of one page of JSON"})

    def check_ranges(self: Schema, data: dict[str, Any], **_: Any) -> None:
        for f in spec.filters:
            if f.kind in (DATES, AMOUNTS):
                low, high = f.arg_names()
                if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                    raise ValidationError(f"must not be before {low}" if f.kind == DATES
                                          else f"must not be less than {low}", high)

    attrs["check_ranges"] = validates_schema(check_ranges)
    return type(f"{spec.name.title().replace('-', '')}{base.__name__}", (base,), attrs)


def sort_order(spec: ListSpec, args: Mapping[str, Any]) -> tuple[str, bool]:
    """The column key and whether it sorts descending."""
    sort = args.get("sort") or spec.default_sort
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if args.get("dir"):
        descending = args["dir"] == "desc"
    return key, descending


def _day_bound(target: Any, day: date, end: bool) -> Any:
    if isinstance(getattr(target, "type", None), DateTime):
        if end and day == date.max:
            return target.is_not(None)  # "until the end of time": no day after it to stop before
        moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=UTC)
        return target < moment if end else target >= moment
    return target <= day if end else target >= day


def select_rows(spec: ListSpec, stmt: Select[Any], args: Mapping[str, Any]) -> Select[Any]:
    """``stmt`` (already scoped to the caller) filtered and sorted as ``args`` ask."""
    if spec.joins is not None:
        stmt = spec.joins(stmt)
    for f in spec.filters:
        if f.match is not None and args.get(f.name):
            stmt = stmt.where(f.match(args[f.name].strip()))
        elif f.kind == SEARCH and args.get(f.name):
            # Wildcards the person typed are matched literally.
            text = args[f.name].strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(or_(*(t.ilike(f"%{text}%", escape="\\") for t in f.targets)))
        elif f.kind == CHOICE and args.get(f.name):
            stmt = stmt.where(f.targets[0] == args[f.name])
        elif f.kind in (DATES, AMOUNTS):
            low, high = f.arg_names()
            target = f.targets[0]
            for name, end in ((low, False), (high, True)):
                if args.get(name) is None:
                    continue
                if f.kind == DATES:
                    stmt = stmt.where(_day_bound(target, args[name], end))
                else:
                    stmt = stmt.where(target <= args[name] if end else target >= args[name])
    key, descending = sort_order(spec, args)
    column = spec.column(key).sort
    order = column.desc() if descending else column.asc()
    # NULLs last either way, the same on SQLite and PostgreSQL.
    return stmt.order_by(column.is_(None), order, spec.tiebreak.desc() if descending else spec.tiebreak.asc())


def page_rows(spec: ListSpec, stmt: Select[Any], args: Mapping[str, Any]) -> Page:
    """One page of the filtered, sorted rows."""
    return paginate(select_rows(spec, stmt, args), args.get("page", 1), args.get("per_page", 25))


def all_rows(spec: ListSpec, stmt: Select[Any], args: Mapping[str, Any]) -> list[Any]:
    """Every filtered row, for a download (422 when there are too many to open)."""
    rows = list(db.session.execute(select_rows(spec, stmt, args).limit(MAX_EXPORT_ROWS + 1)).scalars())
    if len(rows) > MAX_EXPORT_ROWS:
        raise ValidationFailed("too many rows to download", {
            "format": [f"more than {MAX_EXPORT_ROWS:,} rows match; narrow the filters to download them"]})
    return rows


def read_page_args(spec: ListSpec, raw: Mapping[str, Any], base: type[Schema] = PageArgsSchema,
                   per_page: int = 25) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A page's query arguments: bad values are dropped (and reported), never a server error."""
    schema = spec.args_schema(base)()
    values = {k: v for k, v in raw.items() if k in schema.fields and v not in ("", None)}
    values.setdefault("per_page", str(per_page))
    errors: dict[str, list[str]] = {}
    for _ in range(len(values) + 1):
        try:
            args = schema.load(values)
            break
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            bad = set(messages) & set(values) or set(values)
            for name in bad:
                errors[name] = list(messages.get(name) or ["not understood"])  # type: ignore[arg-type]
                values.pop(name, None)
    else:  # pragma: no cover - every round drops at least one value
        args = schema.load({})
    args["page"] = max(1, min(args.get("page", 1), MAX_PAGE))
    args["per_page"] = max(1, min(args.get("per_page", per_page), MAX_PER_PAGE))
    return args, errors
