"""Pages: the monitoring plan (NCPC), and the SME's report entry, upload and evidence."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import Schema, ValidationError, fields, validate

from ..auth.current import current_actor
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..form_errors import FormErrors, UploadProblem, form_errors, upload_problems
from ..files.disposition import download
from ..event_dates import form_day
from ..proposals import services as proposals
from ..list_views import list_page
from . import review, services
from .band_progress import figure_text
from .lists import MONITORING_REPORTS, reports_query
from .. import clock

bp = Blueprint("monitoring", __name__)
# Measured figures on the monitoring and verification charts' tables, written as their tooltips are.
bp.add_app_template_filter(figure_text, "figure")


class PlanFormSchema(Schema):
    """The plan form's fields, typed; the service checks how they fit together."""

    baseline_start = fields.Date(required=True)
    baseline_end = fields.Date(required=True)
    reporting_start = fields.Date()
    reporting_periods = fields.Integer(validate=validate.Range(min=1, max=60))
    ipmvp_option = fields.String(load_default="B")
    offset_method = fields.String()


def r_label(report_id: int) -> str:
    """The period label of a report (the review form's reason input is named by it)."""
    from .models import MonitoringReport

    r = db.session.get(MonitoringReport, report_id)
    return r.period.label if r is not None else str(report_id)


LABELS = {"baseline_start": "Baseline from", "baseline_end": "Baseline to", "reporting_start": "First reporting month",
          "reporting_periods": "Reporting months", "ipmvp_option": "IPMVP option",
          "offset_method": "Offset of indicators that get worse", "main_indicator": "Main indicator",
          "period": "Period", "production_output": "Production output", "reported_on": "Reported on",
          "quantities": "Quantities", "file": "File", "description": "Description", "reason": "Reason to return",
          "source": "Granted by", "amount": "Amount", "date": "Date", "status": "Report status",
          "periods": "Reporting periods", "indicators": "Indicators", "_schema": "This form"}
# The page's inputs by form: the plan's and the report's fields keep their names; the incentive's are prefixed.
IDS = {"source": "incentive-source", "amount": "incentive-amount", "date": "incentive-date", "file": "report-file"}


def _errors_text(exc: ValidationFailed) -> str:
    """A refused form's problems on one line, by label (for the pages that answer with a flash)."""
    return form_errors(exc, LABELS, IDS).sentence()


@bp.route("/monitoring-reports")
@login_required
def reports():
    actor = current_actor()
    return list_page(MONITORING_REPORTS, lambda args: reports_query(actor, args), "monitoring/reports.html",
                     "monitoring.reports")


# The proposal's confirmed verification, which the page links to and a new one corrects (creditline.wiring
# fills it: verifications sit above monitoring, which does not import them).
CONFIRMED_VERIFICATION: list[Callable[[int], Any]] = []


# The amount the grant rate applies to, for the grant each band would pay (creditline.wiring fills it:
# grants sit above monitoring).
GRANT_BASIS: list[Callable[[Any, dict[str, Any]], Decimal]] = []


def _confirmed(proposal_id: int) -> Any:
    for find in CONFIRMED_VERIFICATION:
        found = find(proposal_id)
        if found is not None:
            return found
    return None


def _page(proposal_id: int, errors: FormErrors | None = None, failed: str | None = None,
          problems: list[UploadProblem] | None = None, status: int = 200):
    """The monitoring page; after a refused form, with its errors, what was typed, and an upload's problem table."""
    db.session.rollback()
    actor = current_actor()
    p = proposals.get_proposal(actor, proposal_id)
    try:
        plan = services.plan_of(actor, proposal_id)
    except NotFound:
        plan = None
    from .adjustments import adjustments_of
    from .baseline import months_of

    progress = []
    if plan is not None:
        from ..scoring.services import rulebook_for
        from .progress import indicator_progress
        projected = {i.stream: (i.projected_quantity, i.projected_output) for i in p.indicators}
        # The rulebook the grant will be sized by: the version the proposal was judged under.
        bands = rulebook_for(p).grant_bands
        basis = next((find(p, bands) for find in GRANT_BASIS), None)
        progress = indicator_progress(plan, projected, bands, basis)
    return render_template("monitoring/page.html", p=p, plan=plan, actor=actor, today=clock.today(), progress=progress,
                           errors=errors or FormErrors(), failed=failed, problems=problems or [],
                           form=request.form if failed else {}, confirmed=_confirmed(p.id),
                           financed=services.is_financed(p), months=months_of(plan) if plan else [],
                           adjustments=adjustments_of(plan) if plan else []), status


def _refused(proposal_id: int, failed: str, exc: Exception, ids: dict[str, str] | None = None):
    return _page(proposal_id, form_errors(exc, LABELS, {**IDS, **(ids or {})}, prefix=""), failed, status=422)


@bp.route("/proposals/<int:proposal_id>/monitoring")
@login_required
def page(proposal_id: int):
    return _page(proposal_id)


@bp.route("/proposals/<int:proposal_id>/monitoring/plan", methods=["POST"])
@login_required
def set_plan(proposal_id: int):
    f = request.form
    try:
        data = PlanFormSchema().load({k: v for k, v in f.items() if k in PlanFormSchema().fields and v.strip()})
        services.set_plan(current_actor(), proposal_id, data)
    except (ValidationError, ValidationFailed) as exc:
        return _refused(proposal_id, "plan", exc)
    flash("Monitoring plan set.", "success")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/monitoring/report", methods=["POST"])
@login_required
def report(proposal_id: int):
    actor = current_actor()
    f = request.form
    plan = services.plan_of(actor, proposal_id)
    item = {"period": f.get("period", ""), "production_output": f.get("production_output", ""),
            "quantities": [{"stream": s, "unit": plan.units[s], "quantity": f.get(f"q.{s}", "")} for s in plan.streams],
            "drivers": {k[2:]: v for k, v in f.items() if k.startswith("d.") and v.strip()} or None}
    try:
        item["reported_on"] = form_day(f, "reported_on")
        services.submit_reports(actor, proposal_id, [item], source="form", single=True)
    except ValidationFailed as exc:
        # Each quantity row is one of the plan's streams: name it and link to its input.
        labels = {f"quantities.{k}.quantity": f"{s} ({plan.units[s]})" for k, s in enumerate(plan.streams)}
        ids = {f"quantities.{k}.quantity": f"q-{s}" for k, s in enumerate(plan.streams)}
        return _page(proposal_id, form_errors(exc, {**LABELS, **labels}, {**IDS, **ids}, prefix=""), "report", status=422)
    flash(f"Period {item['period']} reported.", "success")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))


@bp.route("/monitoring-reports/<int:report_id>/evidence", methods=["POST"])
@login_required
def evidence(report_id: int):
    upload = request.files.get("file")
    proposal_id = request.form.get("proposal_id", type=int)
    try:
        services.add_evidence(current_actor(), report_id, upload.read() if upload and upload.filename else None,
                              upload.filename if upload else "", upload.mimetype if upload else "",
                              request.form.get("description"))
        flash("Evidence stored with its SHA-256.", "success")
    except ValidationFailed as exc:
        if proposal_id:
            return _refused(proposal_id, "evidence", exc, {"file": f"evidence-{report_id}"})
        flash("Not stored: " + form_errors(exc, LABELS).sentence(), "error")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id) if proposal_id else request.referrer or "/")


@bp.route("/monitoring-reports/<int:report_id>/review", methods=["POST"])
@login_required
def review_report(report_id: int):
    decision = request.form.get("decision", "")
    proposal_id = request.form.get("proposal_id", type=int)
    back = redirect(url_for("monitoring.page", proposal_id=proposal_id) if proposal_id else request.referrer or "/")
    if decision not in review.DECISIONS:
        flash("Choose to accept or to return the report.", "error")
        return back
    try:
        r = review.review_report(current_actor(), report_id, decision, request.form.get("reason"))
        flash(f"Report {r.period.label} {r.status}"
              + (": the enterprise has been told what to correct." if r.status == "returned" else "."), "success")
    except (ValidationFailed, Conflict) as exc:
        if proposal_id:
            return _refused(proposal_id, "review", exc, {"reason": f"reason-{r_label(report_id)}"})
        flash(f"Not {review.DECISIONS[decision]}: {exc.message}", "error")
    return back


@bp.route("/proposals/<int:proposal_id>/monitoring/upload", methods=["POST"])
@login_required
def upload(proposal_id: int):
    upload = request.files.get("file")
    try:
        reports = services.submit_upload(current_actor(), proposal_id, upload.read() if upload else None,
                                         upload.filename if upload else "")
    except ValidationFailed as exc:
        problems = upload_problems(exc.errors)
        summary = FormErrors({"file": [f"{exc.message}; see the table under the upload form"]}, LABELS, IDS)
        return _page(proposal_id, summary, "upload", problems, status=422)
    flash(f"{len(reports)} period(s) stored from {upload.filename}.", "success")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/monitoring/template.<fmt>")
@login_required
def template(proposal_id: int, fmt: str):
    data, name, kind = services.template_for(current_actor(), proposal_id, fmt)
    return download(data, name, kind)
