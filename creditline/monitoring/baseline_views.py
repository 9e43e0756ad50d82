"""Pages: the monthly baseline (form or upload) and non-routine adjustments, on the monitoring page."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import DomainError, ValidationFailed
from . import adjustments, baseline
from .services import plan_of
from .views import _errors_text, bp

FORM_ROWS = 12


def _back(proposal_id: int):  # type: ignore[no-untyped-def]
    return redirect(url_for("monitoring.page", proposal_id=proposal_id) + "#baseline")


def form_months(form: dict[str, str], streams: list[str]) -> list[dict[str, object]]:
    """The filled rows of the baseline grid as month items (blank rows are skipped)."""
    drivers = [d.strip() for d in form.get("driver_names", "").split(",") if d.strip()]
    months = []
    for i in range(int(form.get("rows", FORM_ROWS))):
        cells = [form.get(f"m{i}.{k}", "").strip() for k in ("start", "end", "output")]
        if not any(cells) and not any(form.get(f"m{i}.q.{s}", "").strip() for s in streams):
            continue
        months.append({"start": cells[0], "end": cells[1], "production_output": cells[2],
                       "quantities": {s: form.get(f"m{i}.q.{s}", "") for s in streams},
                       "drivers": {d: form.get(f"m{i}.d.{d}", "") for d in drivers}})
    return months


@bp.route("/proposals/<int:proposal_id>/monitoring/baseline", methods=["POST"])
@login_required
def baseline_form(proposal_id: int):
    actor = current_actor()
    try:
        plan = plan_of(actor, proposal_id)
        upload = request.files.get("file")
        if upload and upload.filename:
            rows = baseline.upload_baseline(actor, proposal_id, upload.read(), upload.filename)
        else:
            rows = baseline.set_baseline(actor, proposal_id, form_months(request.form.to_dict(), plan.streams),
                                         source="form")
        flash(f"Baseline stored: {len(rows)} months.", "success")
    except ValidationFailed as exc:
        flash(f"The baseline was not stored: {_errors_text(exc)}", "error")
    return _back(proposal_id)


@bp.route("/proposals/<int:proposal_id>/monitoring/adjustments", methods=["POST"])
@login_required
def adjustment_form(proposal_id: int):
    try:
        adjustments.propose_adjustment(current_actor(), proposal_id, request.form.to_dict())
        flash("Adjustment entered; another verifier confirms it before it counts.", "success")
    except ValidationFailed as exc:
        flash(f"Not entered: {_errors_text(exc)}", "error")
    return _back(proposal_id)


@bp.route("/baseline-adjustments/<int:adjustment_id>/decide", methods=["POST"])
@login_required
def adjustment_decision(adjustment_id: int):
    proposal_id = request.form.get("proposal_id", type=int) or 0
    decision = request.form.get("decision", "")
    try:
        adjustments.decide_adjustment(current_actor(), adjustment_id, decision, request.form.get("note"))
        flash(f"Adjustment {decision}.", "success")
    except DomainError as exc:
        details = _errors_text(exc) if isinstance(exc, ValidationFailed) else ""
        flash(f"Not done: {exc.message}{': ' + details if details else ''}", "error")
    return _back(proposal_id)


@bp.route("/proposals/<int:proposal_id>/monitoring/baseline-template.<any(csv, xlsx):fmt>")
@login_required
def baseline_template(proposal_id: int, fmt: str):
    from ..files.disposition import download
    from ..openapi import XLSX

    plan = plan_of(current_actor(), proposal_id)
    return download(baseline.template(plan, fmt), f"baseline-{proposal_id}.{fmt}",
                    XLSX if fmt == "xlsx" else "text/csv")
