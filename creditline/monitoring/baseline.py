"""The monthly baseline of a monitoring plan: entered by form or JSON, or uploaded as CSV/Excel.

A set replaces the plan's baseline months as a whole (the readings are one series the model is
fitted on), and is checked whole: any bad month or cell stores nothing. Upload format, long like
the reports, one row per month and indicator: ``start, end, production_output, stream, unit,
quantity``, plus one column per other driver (``degree_days``, ``operating_hours``...), the same
on every row of a month.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from ..audit.services import record
from ..auth.permissions import Actor, require_role
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..scoring.services import rulebook_of
from ..unit_of_work import lock, unit_of_work
from ..measurement.baseline_model import rulebook_settings
from . import tabular
from .baseline_models import BaselineMonth
from .models import MonitoringPlan
from .drivers import DRIVER_NAME
from .services import _decimal, plan_of

# Packages further on (verifications) name what rests on a proposal's baseline months, or None
# (creditline.wiring fills it: verifications read monitoring, not the reverse).
BASELINE_USED_BY: list[Callable[[int], str | None]] = []

BASE_COLUMNS = ("start", "end", "production_output", "stream", "unit", "quantity")
MAX_MONTHS = 120


def months_of(plan: MonitoringPlan) -> list[BaselineMonth]:
    return list(db.session.scalars(select(BaselineMonth).where(BaselineMonth.plan_id == plan.id)
                                   .order_by(BaselineMonth.start)))


def baseline_of(actor: Actor, proposal_id: int) -> list[BaselineMonth]:
    """The plan's baseline months, oldest first (anyone who sees the proposal)."""
    return months_of(plan_of(actor, proposal_id))


def _day(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = [f"a date as YYYY-MM-DD, not {value!r}"]
        return None


def _check_month(plan: MonitoringPlan, n: int, item: Any, drivers: set[str] | None,
                 errors: dict[str, list[str]]) -> dict[str, Any] | None:
    at = f"months.{n}."
    if not isinstance(item, dict):
        errors[f"months.{n}"] = ["a month object"]
        return None
    start, end = _day(item.get("start"), f"{at}start", errors), _day(item.get("end"), f"{at}end", errors)
    if start and end and end < start:
        errors[f"{at}end"] = ["the month ends before it starts"]
    elif start and end and (end - start).days > 31:
        errors[f"{at}end"] = [f"a baseline reading covers one month at most, not {(end - start).days + 1} days"]
    first = min((q.start for q in plan.periods), default=None)
    if end and first and end >= first:
        errors[f"{at}end"] = [f"the baseline must end before the first reporting period starts ({first})"]
    output = _decimal(item.get("production_output"), f"{at}production_output", errors, positive=True)
    raw = item.get("quantities") if isinstance(item.get("quantities"), dict) else {}
    quantities: dict[str, str] = {}
    for stream in plan.streams:
        value = raw.get(stream)
        if value is None or str(value).strip() == "":
            errors[f"{at}quantities.{stream}"] = ["required"]
            continue
        number = _decimal(value, f"{at}quantities.{stream}", errors)
        if number is not None:
            quantities[stream] = str(number)
    for stream in sorted(set(raw) - set(plan.streams)):
        errors[f"{at}quantities.{stream}"] = [f"not an indicator of the plan ({', '.join(plan.streams)})"]
    given = item.get("drivers") if isinstance(item.get("drivers"), dict) else {}
    values: dict[str, str] = {}
    for name, value in given.items():
        if not DRIVER_NAME.match(str(name)) or name == "output":
            errors[f"{at}drivers.{name}"] = ["a driver name is lower case letters, digits and _ (output is "
                                             "production_output)"]
            continue
        number = _decimal(value, f"{at}drivers.{name}", errors)
        if number is not None:
            values[name] = str(number)
    if drivers is not None and set(given) != drivers:
        errors[f"{at}drivers"] = [f"every month needs the same drivers: {', '.join(sorted(drivers)) or 'none'}"]
    return {"start": start, "end": end, "output": output, "quantities": quantities, "drivers": values}


def _refuse_if_verified(plan: MonitoringPlan) -> None:
    """A verification's figures (and any grant on them) rest on the baseline months it was computed from."""
    for rests in BASELINE_USED_BY:
        what = rests(plan.proposal_id)
        if what:
            raise Conflict(f"{what} rests on these baseline months; they can no longer be replaced (a change in "
                           "the plant since is a baseline adjustment, confirmed by a second verifier)",
                           current_state="verified", allowed=[])


@unit_of_work
def set_baseline(actor: Actor, proposal_id: int, items: list[Any], source: str = "json") -> list[BaselineMonth]:
    """Replace the plan's baseline months; each bad field is named and nothing is stored."""
    require_role(actor, "sme", "verifier", "senior_verifier", action="enter baseline readings")
    plan = plan_of(actor, proposal_id)
    settings = rulebook_settings(rulebook_of(plan.proposal.credit_line).monitoring)
    errors: dict[str, list[str]] = {}
    if not isinstance(items, list) or not items:
        raise ValidationFailed("no baseline months", {"months": ["send at least one month"]})
    if len(items) > MAX_MONTHS:
        raise ValidationFailed("too many months", {"months": [f"at most {MAX_MONTHS} months"]})
    first = items[0].get("drivers") if isinstance(items[0], dict) else None
    drivers = set(first) if isinstance(first, dict) else set()
    checked = [_check_month(plan, n, item, drivers, errors) for n, item in enumerate(items)]
    starts: dict[date, int] = {}
    for n, month in enumerate(checked):
        if month and month["start"]:
            if month["start"] in starts:
                errors[f"months.{n}.start"] = [f"month {month['start']} is also month {starts[month['start']]}"]
            starts.setdefault(month["start"], n)
    if len(items) < settings["min_baseline_months"]:
        errors.setdefault("months", []).append(
            f"{len(items)} months; the baseline needs at least {settings['min_baseline_months']}")
    if errors:
        raise ValidationFailed(f"the baseline was not stored: {len(errors)} problem(s)", errors)
    # Two people replacing the baseline at once take turns: the second replaces the first's set
    # rather than colliding with it on (plan, month).
    lock(MonitoringPlan, plan.id)
    _refuse_if_verified(plan)
    old = len(months_of(plan))
    db.session.execute(delete(BaselineMonth).where(BaselineMonth.plan_id == plan.id))
    rows = [BaselineMonth(plan_id=plan.id, start=m["start"], end=m["end"], production_output=m["output"],
                          drivers=m["drivers"], quantities=m["quantities"], source=source,
                          entered_by=actor.user_id) for m in checked if m]
    db.session.add_all(rows)
    db.session.flush()
    record(actor, "baseline.set", "monitoring_plan", plan.id, {"months": old},
           {"months": len(rows), "source": source, "drivers": sorted(drivers),
            "first": rows[0].start, "last": rows[-1].end})
    return sorted(rows, key=lambda r: r.start)


def parse_upload(plan: MonitoringPlan, data: bytes, filename: str) -> list[dict[str, Any]]:
    """Read a CSV or Excel baseline into month items; every bad cell raises one 422 by row and column."""
    try:
        frame = tabular._frame(data, filename)
    except ValueError as exc:
        raise ValidationFailed("the file cannot be read", {"file": [str(exc)]}) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in BASE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationFailed("missing column(s)", {"row 1": [f"{', '.join(missing)}: missing column(s)"]})
    driver_cols = [c for c in frame.columns if c not in BASE_COLUMNS]
    errors: dict[str, list[str]] = {}

    def bad(row: int, column: str, reason: str) -> None:
        errors.setdefault(f"row {row}", []).append(f"{column}: {reason}")

    for c in driver_cols:
        if not DRIVER_NAME.match(c):
            bad(1, c, "a driver column is named in lower case letters, digits and _")
    units = plan.units
    months: dict[str, dict[str, Any]] = {}
    for i, rec in enumerate(frame.to_dict(orient="records"), start=2):
        key = str(rec["start"]).strip()
        month = months.setdefault(key, {"start": key, "end": str(rec["end"]).strip(), "rows": {},
                                        "production_output": rec["production_output"], "quantities": {},
                                        "drivers": {c: rec[c] for c in driver_cols}})
        if str(rec["end"]).strip() != month["end"]:
            bad(i, "end", f"month {key} ends on {month['end']} on another row")
        for column, value in [("production_output", rec["production_output"]),
                              *((c, rec[c]) for c in driver_cols)]:
            number = tabular._number(value)
            if number is None or (column == "production_output" and number <= 0):
                bad(i, column, f"must be a number{' more than zero' if column == 'production_output' else ''},"
                               f" not {value!r}")
            elif column == "production_output" and number != tabular._number(month["production_output"]):
                bad(i, column, f"month {key} has {month['production_output']} on another row")
            elif column != "production_output" and number != tabular._number(month["drivers"][column]):
                bad(i, column, f"month {key} has {month['drivers'][column]} on another row")
        stream = str(rec["stream"]).strip()
        if stream not in units:
            bad(i, "stream", f"{stream!r} is not an indicator of the plan ({', '.join(units)})")
            continue
        if stream in month["rows"]:
            bad(i, "stream", f"{stream} for month {key} is already on row {month['rows'][stream]}")
            continue
        month["rows"][stream] = i
        if str(rec["unit"]).strip() != units[stream]:
            bad(i, "unit", f"{stream} is measured in {units[stream]}, not {rec['unit']!r}")
        quantity = tabular._number(rec["quantity"])
        if quantity is None or quantity < 0:
            bad(i, "quantity", f"must be a number, zero or more, not {rec['quantity']!r}")
        else:
            month["quantities"][stream] = str(quantity)
    for key, month in months.items():
        absent = [s for s in units if s not in month["rows"]]
        if absent:
            bad(max(month["rows"].values(), default=1), "stream", f"month {key} has no row for {', '.join(absent)}")
    if errors:
        raise ValidationFailed(f"the baseline was not stored: {len(errors)} row(s) with problems", errors)
    return [{k: v for k, v in m.items() if k != "rows"} for m in months.values()]


def upload_baseline(actor: Actor, proposal_id: int, data: bytes | None, filename: str) -> list[BaselineMonth]:
    """Replace the baseline from a CSV or Excel file (checked whole, like a report upload)."""
    require_role(actor, "sme", "verifier", "senior_verifier", action="enter baseline readings")
    if not data:
        raise ValidationFailed("no file", {"file": ["upload a .csv or .xlsx file"]})
    plan = plan_of(actor, proposal_id)
    source = "xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else "csv"
    return set_baseline(actor, proposal_id, parse_upload(plan, data, filename), source=source)


def template(plan: MonitoringPlan, fmt: str = "csv") -> bytes:
    """A baseline file to fill in: a row per month of the plan's baseline and indicator, values blank."""
    import io

    import pandas as pd

    from .. import exports
    from ..finance.schedules import add_months

    rows, start = [], plan.baseline_start.replace(day=1)
    while start <= plan.baseline_end and len(rows) < MAX_MONTHS * len(plan.streams):
        end = add_months(start, 1) - timedelta(days=1)
        rows += [{"start": start.isoformat(), "end": end.isoformat(), "production_output": "", "stream": s,
                  "unit": plan.units[s], "quantity": ""} for s in plan.streams]
        start = add_months(start, 1)
    frame = exports.frame(pd.DataFrame(rows, columns=list(BASE_COLUMNS)))
    buf = io.BytesIO()
    if fmt == "xlsx":
        frame.to_excel(buf, index=False, sheet_name="baseline", engine="openpyxl")
    else:
        frame.to_csv(buf, index=False)
    return buf.getvalue()
