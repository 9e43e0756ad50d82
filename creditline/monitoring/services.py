"""Monitoring plans and reports: validated whole, stored in one transaction, audited."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role
from .. import clock
from ..errors import Conflict, NotFound, ValidationFailed
from ..event_dates import day_of, order_problems
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..files.services import store_file
from ..finance.schedules import add_months
from ..proposals.models import Proposal
from ..safe_text import text_problem
from ..schemas import MAX_QUANTITY
from ..scoring.services import rulebook_for
from ..vocabulary import STREAM_UNITS
from .models import (MonitoringPlan, MonitoringReport, ReportedQuantity, ReportEvidence,
                     ReportingPeriod)
from .drivers import driver_problems
from .review import return_for_new_plan, tell_sme_plan_set, tell_verifiers_reports_arrived

# A plan is set once the proposal is accepted for financing (or is further on).
PLANNABLE = ("eligible", "technically_reviewed", "financed")
OFFSET_METHODS = ("main_only", "min_of_all", "deduct_worse", "weighted_co2e")
REPORT_DUE_DAYS = 15
# The follow-up window after start-up when a rulebook does not give one (the GCTF's 3 to 6 months).
DEFAULT_FOLLOW_UP_MONTHS = (3, 6)


def _decimal(value: Any, field: str, errors: dict[str, list[str]], positive: bool = False) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(f"not a number: {value!r}")
        return None
    if number < 0 or (positive and number == 0):
        errors.setdefault(field, []).append("must be more than zero" if positive else "cannot be negative")
        return None
    if number > MAX_QUANTITY:
        # The column is Numeric(20, 4): a larger figure is a typing error and would not fit.
        errors.setdefault(field, []).append(f"must be at most {MAX_QUANTITY}")
        return None
    return number


def is_financed(p: Proposal) -> bool:
    """Whether a loan has been approved for the proposal."""
    from ..loans.models import APPROVED_STATES, Loan

    return db.session.scalar(select(Loan.id).where(Loan.proposal_id == p.id, Loan.status.in_(APPROVED_STATES))) is not None


def first_disbursement(p: Proposal) -> date | None:
    """The value date of the first tranche paid out on the proposal's loan, if any."""
    from ..loans.models import Disbursement, Loan

    return db.session.scalar(select(func.min(Disbursement.value_date)).join(Loan, Loan.id == Disbursement.loan_id)
                             .where(Loan.proposal_id == p.id))


def default_reporting_start(p: Proposal, disbursed: date, follow_up_months: Any) -> date:
    """Start-up (first disbursement plus the implementation months), then the rulebook's first follow-up month."""
    window = follow_up_months or DEFAULT_FOLLOW_UP_MONTHS
    return add_months(disbursed, int(p.implementation_months or 0) + int(window[0]))


def plan_of(actor: Actor, proposal_id: int) -> MonitoringPlan:
    """The proposal's monitoring plan (404 when there is none or it is out of scope)."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    plan = db.session.scalar(select(MonitoringPlan).where(MonitoringPlan.proposal_id == p.id))
    if plan is None:
        raise NotFound(f"proposal {proposal_id} has no monitoring plan yet")
    return plan


def monthly_periods(first_start: date, count: int) -> list[dict[str, Any]]:
    """Consecutive calendar-month periods from ``first_start``, each due 15 days after its end."""
    out = []
    for k in range(count):
        start = add_months(first_start, k)
        end = add_months(first_start, k + 1) - timedelta(days=1)
        out.append({"label": f"M{k + 1:02d}", "start": start, "end": end,
                    "due_date": end + timedelta(days=REPORT_DUE_DAYS)})
    return out


def _plan_problems(p: Proposal, data: dict[str, Any], disbursed: date | None,
                   start_field: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    streams = [i["stream"] for i in data["indicators"]]
    for n, ind in enumerate(data["indicators"]):
        where = f"indicators.{n}"
        if STREAM_UNITS.get(ind["stream"]) != ind["unit"]:
            errors[f"{where}.unit"] = [f"{ind['stream']} is measured in {STREAM_UNITS.get(ind['stream'])}"]
        _decimal(ind["baseline_quantity"], f"{where}.baseline_quantity", errors, positive=True)
        _decimal(ind["baseline_output"], f"{where}.baseline_output", errors, positive=True)
    if len(set(streams)) != len(streams):
        errors["indicators"] = ["each stream once"]
    if data["main_indicator"] not in streams:
        errors["main_indicator"] = [f"{data['main_indicator']} is not among the plan's indicators"]
    if data["baseline_end"] < data["baseline_start"]:
        errors["baseline_end"] = ["the baseline ends before it starts"]
    labels = [q["label"] for q in data["periods"]]
    if len(set(labels)) != len(labels):
        errors["periods"] = ["each period label once"]
    last_end = data["baseline_end"]
    # Name each period by its place in the body, while checking them in date order.
    for n, q in sorted(enumerate(data["periods"]), key=lambda nq: nq[1]["start"]):
        if q["end"] < q["start"]:
            errors[f"periods.{n}.end"] = ["the period ends before it starts"]
        if q["due_date"] < q["end"]:
            errors[f"periods.{n}.due_date"] = [f"period {q['label']} is due on {q['due_date']}, before it ends "
                                               f"on {q['end']}"]
        if q["start"] <= last_end:
            errors[f"periods.{n}.start"] = [f"period {q['label']} starts on {q['start']}, before the "
                                            f"baseline or the previous period ends ({last_end})"]
        if disbursed is not None and q["start"] < disbursed and (start_field is None or start_field not in errors):
            # The benefit of an investment cannot be measured before the loan has paid for it.
            where = start_field or f"periods.{n}.start"
            errors.setdefault(where, []).append(f"period {q['label']} starts on {q['start']}, before the loan's "
                                                f"first disbursement on {disbursed}")
        last_end = max(last_end, q["end"])
    return errors


@unit_of_work
def set_plan(actor: Actor, proposal_id: int, data: dict[str, Any]) -> MonitoringPlan:
    """Set (or, before any report, replace) the monitoring plan of a financed proposal."""
    require_role(actor, "verifier", "senior_verifier", action="set monitoring plans")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    if p.status not in PLANNABLE or not is_financed(p):
        raise Conflict("only a financed proposal is monitored: its loan must be approved first",
                       current_state=p.status, allowed=[])
    data = dict(data)
    if not data.get("indicators"):
        data["indicators"] = [{"stream": i.stream, "unit": i.unit, "baseline_quantity": i.baseline_quantity,
                               "baseline_output": i.baseline_output} for i in p.indicators]
    data.setdefault("main_indicator", p.main_indicator)
    data["output_unit"] = data.get("output_unit") or p.output_unit or "unit"
    book = rulebook_for(p)
    disbursed = first_disbursement(p)
    start_field = None
    if not data.get("periods"):
        start = data.get("reporting_start")
        if start is None and disbursed is None:
            raise ValidationFailed("the monitoring plan is not valid", {"reporting_start": [
                "required until the loan is disbursed (then it defaults to the rulebook's follow-up after start-up)"]})
        if start is None:
            start = default_reporting_start(p, disbursed, book.monitoring.get("follow_up_months_after_start_up"))
        else:
            start_field = "reporting_start"
        count = int(data.get("reporting_periods") or book.monitoring.get("reporting_periods", 6))
        data["periods"] = monthly_periods(start, count)
    data.pop("reporting_start", None)
    data.pop("reporting_periods", None)
    from ..referrals.services import fixed_offset_method

    # The offset the NCPC fixed when it cleared the proposal's referral wins over the rulebook's default.
    data.setdefault("offset_method", fixed_offset_method(p.id) or book.monitoring.get("offset_method", "min_of_all"))
    errors = _plan_problems(p, data, disbursed, start_field)
    if errors:
        raise ValidationFailed("the monitoring plan is not valid", errors)
    plan = db.session.scalar(select(MonitoringPlan).where(MonitoringPlan.proposal_id == p.id))
    before = None
    if plan is not None:
        before = _check_replaceable(plan, data["periods"])
    else:
        plan = MonitoringPlan(proposal_id=p.id, created_by=actor.user_id)
        db.session.add(plan)
    for key in ("main_indicator", "output_unit", "baseline_start", "baseline_end", "ipmvp_option",
                "offset_method", "notes"):
        if key in data:
            setattr(plan, key, data[key])
    plan.indicators = [{"stream": i["stream"], "unit": i["unit"], "baseline_quantity": str(i["baseline_quantity"]),
                        "baseline_output": str(i["baseline_output"])} for i in data["indicators"]]
    # A period keeps its row (and its reports' history) when its label stays in the plan.
    existing = {q.label: q for q in plan.periods}
    periods = []
    for q in sorted(data["periods"], key=lambda q: q["start"]):
        period = existing.pop(q["label"], None) or ReportingPeriod(label=q["label"])
        period.start, period.end, period.due_date = q["start"], q["end"], q["due_date"]
        periods.append(period)
    plan.periods = periods
    db.session.flush()
    event = record(actor, "monitoring_plan.set", "monitoring_plan", plan.id, before, plan_view(plan))
    if before is not None:
        return_for_new_plan(actor, plan)
    tell_sme_plan_set(plan, changed=before is not None, key=f"monitoring_plan:{plan.id}:{event.id}")
    return plan


def _check_replaceable(plan: MonitoringPlan, new_periods: list[dict[str, Any]]) -> dict[str, Any]:
    """Refuse to change a plan the NCPC has accepted reports under; return the plan as it was."""
    accepted = [q.label for q in plan.periods if q.accepted_report is not None]
    if accepted:
        raise Conflict(f"report(s) for {', '.join(accepted)} have been accepted under this plan; it can no longer "
                       "be changed", current_state="accepted", allowed=[])
    labels = {q["label"] for q in new_periods}
    dropped = [q.label for q in plan.periods if q.versions and q.label not in labels]
    if dropped:
        raise ValidationFailed("the monitoring plan is not valid", {"periods": [
            f"period(s) {', '.join(dropped)} have reports and must stay in the plan"]})
    return plan_view(plan)


def plan_view(plan: MonitoringPlan) -> dict[str, Any]:
    """The plan as plain data (audit and API)."""
    return {"proposal_id": plan.proposal_id, "main_indicator": plan.main_indicator, "output_unit": plan.output_unit,
            "indicators": plan.indicators, "baseline_start": plan.baseline_start.isoformat(),
            "baseline_end": plan.baseline_end.isoformat(), "ipmvp_option": plan.ipmvp_option,
            "offset_method": plan.offset_method,
            "periods": [{"label": q.label, "start": q.start.isoformat(), "end": q.end.isoformat(),
                         "due_date": q.due_date.isoformat()} for q in plan.periods]}


def _report_problems(plan: MonitoringPlan, n: int | None, item: dict[str, Any],
                     seen: set[str]) -> tuple[dict[str, list[str]], dict[str, Decimal], Decimal | None]:
    prefix = "" if n is None else f"reports.{n}."
    errors: dict[str, list[str]] = {}
    periods = {q.label: q for q in plan.periods}
    label = str(item.get("period", ""))
    if label not in periods:
        errors[f"{prefix}period"] = [f"period {label!r} is not in the plan (periods: {', '.join(periods)})"]
    elif label in seen:
        errors[f"{prefix}period"] = [f"period {label} has already been reported in this submission"]
    elif not periods[label].open_for_report:
        last = periods[label].report
        errors[f"{prefix}period"] = [f"period {label} has already been reported and "
                                     + ("accepted" if last.status == "accepted" else "waits for the NCPC's review")]
    else:
        errors.update(_report_day_problems(periods[label], item, prefix))
    seen.add(label)
    output = _decimal(item.get("production_output"), f"{prefix}production_output", errors, positive=True)
    quantities: dict[str, Decimal] = {}
    units = plan.units
    for k, q in enumerate(item.get("quantities") or []):
        where = f"{prefix}quantities.{k}"
        stream = q.get("stream")
        if stream not in units:
            errors[f"{where}.stream"] = [f"{stream!r} is not an indicator of the plan ({', '.join(units)})"]
            continue
        if q.get("unit") and q["unit"] != units[stream]:
            errors[f"{where}.unit"] = [f"{stream} is reported in {units[stream]} in the plan, not {q['unit']}"]
        if stream in quantities:
            errors[f"{where}.stream"] = [f"{stream} is listed twice"]
        value = _decimal(q.get("quantity"), f"{where}.quantity", errors)
        if value is not None:
            quantities[stream] = value
    missing = [s for s in units if s not in quantities and not any(k.startswith(f"{prefix}quantities") for k in errors)]
    if missing:
        errors[f"{prefix}quantities"] = [f"missing: {', '.join(missing)}"]
    errors.update(driver_problems(item, prefix))
    return errors, quantities, output


def _report_day_problems(period: ReportingPeriod, item: dict[str, Any], prefix: str) -> dict[str, list[str]]:
    """A period is reported only once it has ended, on a day no later than today."""
    today = clock.today()
    if period.end >= today:
        return {f"{prefix}period": [f"period {period.label} runs to {period.end}; it can be reported once it has "
                                    f"ended, from {period.end + timedelta(days=1)}"]}
    day = item.get("reported_on") or today
    return order_problems(f"{prefix}reported_on", day, today,
                          [(period.end + timedelta(days=1), f"period {period.label} ended the day before")])


def report_day(report: MonitoringReport) -> date:
    """The day a report was sent (rows from before event dates: the day it was entered)."""
    return report.reported_on or day_of(report.submitted_at)


@unit_of_work
def submit_reports(actor: Actor, proposal_id: int, items: list[dict[str, Any]], source: str = "json",
                   single: bool = False) -> list[MonitoringReport]:
    """Store reports for one or more periods; any problem rejects them all and stores nothing."""
    require_role(actor, "sme", "verifier", "senior_verifier", action="report monitoring data")
    plan = plan_of(actor, proposal_id)
    errors: dict[str, list[str]] = {}
    checked = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        problems, quantities, output = _report_problems(plan, None if single else n, item, seen)
        errors.update(problems)
        checked.append((item, quantities, output))
    if not items:
        errors["reports"] = ["send at least one period"]
    if errors:
        raise ValidationFailed("the report was not stored: " + f"{len(errors)} problem(s)", errors)
    periods = {q.label: q for q in plan.periods}
    reports = []
    for item, quantities, output in checked:
        period = periods[str(item["period"])]
        previous = period.report  # a returned version: this one corrects it
        report = MonitoringReport(plan_id=plan.id, period_id=period.id, production_output=output, source=source,
                                  submitted_by=actor.user_id, status="submitted",
                                  version=previous.version + 1 if previous else 1,
                                  reported_on=item.get("reported_on") or clock.today(),
                                  drivers=item.get("drivers") or None)
        report.quantities = [ReportedQuantity(stream=s, unit=plan.units[s], quantity=q) for s, q in quantities.items()]
        if previous is not None:
            # The evidence still supports the corrected figures unless the SME adds better.
            report.evidence = [ReportEvidence(file_id=e.file_id, description=e.description) for e in previous.evidence]
        db.session.add(report)
        db.session.flush()
        record(actor, "monitoring_report.submitted", "monitoring_report", report.id, None,
               {"period": period.label, "version": report.version, "corrects": previous.id if previous else None,
                "reported_on": report.reported_on, "production_output": str(output), "source": source,
                "quantities": {s: str(q) for s, q in quantities.items()}})
        reports.append(report)
    tell_verifiers_reports_arrived(plan, reports)
    return reports


@unit_of_work
def add_evidence(actor: Actor, report_id: int, data: bytes | None, filename: str, content_type: str,
                 description: str | None) -> ReportEvidence:
    """Attach an evidence file to a report; a new upload is a new file, nothing is replaced."""
    require_role(actor, "sme", "verifier", "senior_verifier", action="add evidence")
    report = get_visible(MonitoringReport, report_id, actor, what="monitoring report")
    if report.status == "returned":
        raise Conflict(f"report {report.id} was returned; add the evidence to the corrected version",
                       current_state=report.status, allowed=[])
    if data is None:
        raise ValidationFailed("send a multipart form with the file", {"file": ["required"]})
    if description and len(description) > 200:
        raise ValidationFailed("the description is too long", {"description": ["at most 200 characters"]})
    problem = text_problem(description or "")
    if problem:
        raise ValidationFailed("the description cannot be stored", {"description": [problem]})
    stored = store_file(actor, data, filename, content_type, kind="evidence")
    ev = ReportEvidence(report_id=report.id, file_id=stored.id, description=description)
    db.session.add(ev)
    db.session.flush()
    record(actor, "monitoring_report.evidence_added", "monitoring_report", report.id, None,
           {"file": stored.filename, "sha256": stored.sha256})
    return ev


def reports_of(actor: Actor, proposal_id: int, history: bool = False) -> list[MonitoringReport]:
    """The latest version of each period's report in period order; with ``history`` every version."""
    plan = plan_of(actor, proposal_id)
    if history:
        return [r for q in plan.periods for r in q.versions]
    return [q.report for q in plan.periods if q.report is not None]


def submit_upload(actor: Actor, proposal_id: int, data: bytes | None, filename: str) -> list[MonitoringReport]:
    """Store the periods of a CSV or Excel upload; every bad row is reported and nothing is stored."""
    from ..files.tabular_limits import MAX_ERRORS_SHOWN, capped
    from . import tabular

    require_role(actor, "sme", "verifier", "senior_verifier", action="report monitoring data")
    plan = plan_of(actor, proposal_id)
    if not data:
        raise ValidationFailed("the upload is empty", {"file": ["choose a CSV or Excel file"]})
    parsed = tabular.parse(data, filename, plan.units, {q.label: not q.open_for_report for q in plan.periods})
    if parsed.errors:
        errors: dict[str, list[str]] = {}
        for e in parsed.errors:
            errors.setdefault(f"row {e.row}: {e.column}" if e.row else e.column, []).append(e.reason)
        shown, total = capped(errors)
        # A file of a million bad rows must not answer with a million messages.
        raise ValidationFailed(f"the file was not stored: {total} problem(s)"
                               + (f"; the first {MAX_ERRORS_SHOWN} are listed" if total > MAX_ERRORS_SHOWN else ""),
                               shown, error_count=total)
    first_row = {n: min(item["rows"].values()) for n, item in enumerate(parsed.items)}
    items = [{k: v for k, v in item.items() if k != "rows"} for item in parsed.items]
    source = "xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else "csv"
    try:
        return submit_reports(actor, proposal_id, items, source=source)
    except ValidationFailed as exc:
        # Name the spreadsheet row instead of the item number.
        renamed: dict[str, list[str]] = {}
        for key, messages in exc.errors.items():
            parts = key.split(".", 2)
            if parts[0] == "reports" and len(parts) > 1 and parts[1].isdigit():
                key = f"row {first_row[int(parts[1])]}: {parts[2] if len(parts) > 2 else 'period'}"
            renamed.setdefault(key, []).extend(messages)
        raise ValidationFailed(exc.message, renamed) from None


def template_for(actor: Actor, proposal_id: int, fmt: str) -> tuple[bytes, str, str]:
    """The upload template of a plan: bytes, file name and content type."""
    from . import tabular

    plan = plan_of(actor, proposal_id)
    if fmt not in ("csv", "xlsx"):
        raise NotFound(f"there is no {fmt!r} template; download template.csv or template.xlsx")
    open_periods = [q.label for q in plan.periods if q.open_for_report] or [q.label for q in plan.periods]
    data = tabular.template(open_periods, plan.units, plan.output_unit, fmt)
    kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "text/csv")
    return data, f"monitoring-report-proposal-{proposal_id}.{fmt}", kind
