"""Pages: the portfolio dashboard, the impact report and an SME's material and energy flows."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import select

from ..auth.current import current_actor
from ..auth.models import Organisation
from ..auth.permissions import visible
from ..creditlines.models import CreditLine
from ..extensions import db
from ..vocabulary import CP_OPTIONS
from ..errors import Conflict, ValidationFailed
from ..form_errors import FormErrors
from ..monitoring.band_progress import month_text
from . import flows, services, tape_import
from .schemas import ReportArgsSchema

bp = Blueprint("reports", __name__, url_prefix="/reports")


FILTER_LABELS = {"credit_line_id": "Credit line", "bank_id": "Bank", "isic": "Sector", "cp_option": "CP option"}
FILTER_IDS = {"credit_line_id": "f-line", "bank_id": "f-bank", "isic": "f-isic", "cp_option": "f-cp"}


def _args() -> tuple[dict[str, Any], FormErrors]:
    raw = {k: v for k, v in request.args.items() if v != "" and k in ReportArgsSchema().fields}
    try:
        return ReportArgsSchema().load(raw), FormErrors()
    except ValidationError as exc:
        return {"format": "json"}, FormErrors(exc.normalized_messages(), FILTER_LABELS, FILTER_IDS)


def _choices(actor: Any) -> dict[str, Any]:
    lines = db.session.execute(visible(CreditLine, actor, select(CreditLine.id, CreditLine.name))
                               .order_by(CreditLine.name)).all()
    banks = []
    if actor.organisation_kind != "bank":
        banks = db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.kind == "bank")
                                   .order_by(Organisation.name)).all() if actor.sees_portfolio else []
    return {"lines": lines, "banks": banks, "cp_options": CP_OPTIONS}


def _query(args: dict[str, Any], fmt: str) -> str:
    keep = {k: v for k, v in args.items() if k != "format" and v is not None}
    return urlencode({**keep, "format": fmt})


def axis_labels(rows: list[dict[str, Any]], key: str, month: bool = False) -> list[str]:
    """A chart's category labels: a month key "2026-01" as "Jan 2026", and the currency beside each
    label when rows of several currencies share the chart (their amounts are never added)."""
    def name(value: Any) -> str:
        return month_text(str(value)) if month else str(value)
    several = len({r.get("currency") for r in rows}) > 1
    return [f"{name(r[key])} ({r['currency']})" if several else name(r[key]) for r in rows]


def amounts_named(rows: list[dict[str, Any]], name: str) -> str:
    """A money series' name with its currency when the chart holds only one: "Disbursed (USD)"."""
    currencies = {r.get("currency") for r in rows}
    return f"{name} ({currencies.pop()})" if len(currencies) == 1 and None not in currencies else name


def every_month(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> tuple[list[str], dict[str, list[Any]]]:
    """Monthly amounts on a continuous axis: the months between the first and the last with no event
    show as 0 rather than being skipped, so the spacing of the bars is the spacing of time. Rows of
    several currencies keep one bar per month and currency instead."""
    dated = sorted(r["key"] for r in rows if len(str(r["key"])) == 7 and str(r["key"])[4] == "-")
    if len({r.get("currency") for r in rows}) > 1 or not dated:
        return axis_labels(rows, "key", month=True), {f: [r[f] for r in rows] for f in fields}
    year, month = (int(x) for x in dated[0].split("-"))
    keys = []
    while f"{year:04d}-{month:02d}" <= dated[-1] and len(keys) < 600:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    keys += [r["key"] for r in rows if r["key"] not in keys]  # "undated" last
    by_key = {r["key"]: r for r in rows}
    return ([month_text(k) for k in keys],
            {f: [by_key[k][f] if k in by_key else 0 for k in keys] for f in fields})


def chart(kind: str, labels: list[Any], series: dict[str, list[Any]], title: str) -> str:
    """A chart's description for reports.js, carried in a data attribute (the CSP allows no inline script)."""
    return json.dumps({"type": kind, "title": title, "labels": [str(x) for x in labels],
                       "series": [{"label": k, "data": [float(v or 0) for v in vals]} for k, vals in series.items()]})


@bp.route("")
@login_required
def dashboard():
    actor = current_actor()
    args, errors = _args()
    if errors:
        args = {"format": "json"}
    report = services.portfolio_report(actor, args)
    b = report["breakdowns"]
    dpd, sector, month = report["dpd_buckets"], b["sector"], b["month"]
    months_axis, monthly = every_month(month, ("disbursed", "grants_paid"))
    charts = {
        "dpd": chart("bar", axis_labels(dpd, "bucket"),
                     {amounts_named(dpd, "Outstanding principal"): [r["outstanding"] for r in dpd]},
                     "Outstanding principal by days past due"),
        "sector": chart("bar", axis_labels(sector, "key"),
                        {amounts_named(sector, "Outstanding principal"): [r["outstanding"] for r in sector],
                         amounts_named(sector, "Grants committed"): [r["grants_committed"] for r in sector]},
                        "By sector"),
        # Bars, not a line: each is the money moved in that month, and nothing happens between months.
        "month": chart("bar", months_axis,
                       {amounts_named(month, "Disbursed"): monthly["disbursed"],
                        amounts_named(month, "Grants paid"): monthly["grants_paid"]}, "By month"),
        "funnel": chart("funnel", [r["stage"] for r in report["funnel"]],
                        {"Proposals": [r["proposals"] for r in report["funnel"]]}, "From proposal to paid grant"),
    }
    return render_template("reports/dashboard.html", report=report, args=args, errors=errors, charts=charts,
                           choices=_choices(actor), xlsx=_query(args, "xlsx"), csv=_query(args, "csv"),
                           definitions=services.DEFINITIONS, actor=actor)


@bp.route("/impact")
@login_required
def impact():
    actor = current_actor()
    args, errors = _args()
    if errors:
        args = {"format": "json"}
    report = services.impact_report(actor, args)
    sectors = report["sectors"]
    charts = {"sectors": chart("bar", [s["sector"] for s in sectors],
                               {"Projected (verified proposals)": [s["projected_co2e_of_verified"] for s in sectors],
                                "Verified": [s["verified_co2e_t_per_year"] for s in sectors]},
                               "t CO2e avoided a year: projected against verified")}
    return render_template("reports/impact.html", report=report, args=args, errors=errors, charts=charts,
                           choices=_choices(actor), xlsx=_query(args, "xlsx"), notes=services.IMPACT_NOTES)


@bp.route("/proposals/<int:proposal_id>/flows")
@login_required
def proposal_flows(proposal_id: int):
    picture = services.flows_of(current_actor(), proposal_id)
    return render_template("reports/flows.html", picture=picture, svg=flows.svg(picture))


def _problems(exc: ValidationFailed) -> list[tuple[str, str, str]]:
    """The 422's errors as table rows: (row, column, problem); "row 7: Bank" keys split."""
    out = []
    for key, messages in exc.errors.items():
        row, _, column = key.partition(": ") if key.startswith("row ") else ("", "", key)
        out.extend((row.removeprefix("row "), column, str(m)) for m in messages)
    return out


@bp.route("/loan-tape/import", methods=["GET", "POST"])
@login_required
def tape_import_page():
    """Upload a loan tape (fund admin): check it (dry run) or import it; problems listed by row and column."""
    actor = current_actor()
    tape_import.require_importer(actor)
    result, problems, message, total = None, [], None, 0
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            result = tape_import.import_tape(actor, upload.read() if upload else None,
                                             (upload.filename if upload else "") or "loan-tape.csv",
                                             dry_run=request.form.get("action") == "check")
        except ValidationFailed as exc:
            message, problems = exc.message, _problems(exc)
            total = exc.extra.get("error_count", len(problems))
        except Conflict as exc:
            message = exc.message
    return render_template("reports/tape_import.html", result=result, problems=problems, message=message,
                           total=total)
