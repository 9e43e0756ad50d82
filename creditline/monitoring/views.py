"""Pages: the monitoring plan (NCPC), and the SME's report entry, upload and evidence."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import Conflict, NotFound, ValidationFailed
from ..files.disposition import download
from ..event_dates import form_day
from ..proposals import services as proposals
from ..list_views import list_page
from . import review, services
from .lists import MONITORING_REPORTS, reports_query
from .. import clock

bp = Blueprint("monitoring", __name__)


def _errors_text(exc: ValidationFailed) -> str:
    return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())


@bp.route("/monitoring-reports")
@login_required
def reports():
    actor = current_actor()
    return list_page(MONITORING_REPORTS, lambda args: reports_query(actor, args), "monitoring/reports.html",
                     "monitoring.reports")


@bp.route("/proposals/<int:proposal_id>/monitoring")
@login_required
def page(proposal_id: int):
    actor = current_actor()
    p = proposals.get_proposal(actor, proposal_id)
    try:
        plan = services.plan_of(actor, proposal_id)
    except NotFound:
        plan = None
    from ..verifications.services import current_confirmed
    from .adjustments import adjustments_of
    from .baseline import months_of

    progress = []
    if plan is not None:
        from ..scoring.services import rulebook_of
        from .progress import indicator_progress
        projected = {i.stream: (i.projected_quantity, i.projected_output) for i in p.indicators}
        progress = indicator_progress(plan, projected, rulebook_of(p.credit_line).grant_bands)
    return render_template("monitoring/page.html", p=p, plan=plan, actor=actor, today=clock.today(), progress=progress,
                           errors=request.args.get("errors"), confirmed=current_confirmed(p.id),
                           financed=services.is_financed(p), months=months_of(plan) if plan else [],
                           adjustments=adjustments_of(plan) if plan else [])


@bp.route("/proposals/<int:proposal_id>/monitoring/plan", methods=["POST"])
@login_required
def set_plan(proposal_id: int):
    f = request.form
    try:
        data = {"baseline_start": date.fromisoformat(f["baseline_start"]),
                "baseline_end": date.fromisoformat(f["baseline_end"]),
                "ipmvp_option": f.get("ipmvp_option", "B"), "offset_method": f.get("offset_method") or None}
        if f.get("reporting_start"):
            data["reporting_start"] = date.fromisoformat(f["reporting_start"])
        if f.get("reporting_periods"):
            data["reporting_periods"] = int(f["reporting_periods"])
        if not data["offset_method"]:
            data.pop("offset_method")
        services.set_plan(current_actor(), proposal_id, data)
        flash("Monitoring plan set.", "success")
    except (KeyError, ValueError) as exc:
        flash(f"Not saved: give the baseline and reporting dates as YYYY-MM-DD ({exc})", "error")
    except ValidationFailed as exc:
        flash(f"Not saved: {_errors_text(exc)}", "error")
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
        flash(f"Period {item['period']} reported.", "success")
    except ValidationFailed as exc:
        flash(f"Nothing was stored: {_errors_text(exc)}", "error")
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
        flash(f"Not stored: {_errors_text(exc)}", "error")
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
    except ValidationFailed as exc:
        flash(f"Not {review.DECISIONS[decision]}: {_errors_text(exc)}", "error")
    except Conflict as exc:
        flash(f"Not {review.DECISIONS[decision]}: {exc.message}", "error")
    return back


@bp.route("/proposals/<int:proposal_id>/monitoring/upload", methods=["POST"])
@login_required
def upload(proposal_id: int):
    upload = request.files.get("file")
    try:
        reports = services.submit_upload(current_actor(), proposal_id, upload.read() if upload else None,
                                         upload.filename if upload else "")
        flash(f"{len(reports)} period(s) stored from {upload.filename}.", "success")
    except ValidationFailed as exc:
        flash(f"Nothing was stored. {exc.message}: {_errors_text(exc)}", "error")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/monitoring/template.<fmt>")
@login_required
def template(proposal_id: int, fmt: str):
    data, name, kind = services.template_for(current_actor(), proposal_id, fmt)
    return download(data, name, kind)


@bp.route("/proposals/<int:proposal_id>/other-incentives", methods=["POST"])
@login_required
def other_incentive(proposal_id: int):
    from marshmallow import ValidationError

    from ..errors import Conflict
    from ..grants import incentives
    from ..grants.api import OtherIncentiveBodySchema

    form = {k: v.strip() for k, v in request.form.items() if k in ("source", "amount", "date") and v.strip()}
    try:
        data = OtherIncentiveBodySchema().load(form)
        incentives.declare_other_incentive(current_actor(), proposal_id, data)
        flash("Incentive declared: no grant of this credit line will be paid for this investment.", "success")
    except ValidationError as exc:
        flash("Not declared: " + "; ".join(f"{k}: {', '.join(map(str, v))}"
                                           for k, v in exc.normalized_messages().items()), "error")
    except (ValidationFailed, Conflict) as exc:
        flash(f"Not declared: {exc.message}", "error")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))
