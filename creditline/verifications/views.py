"""Pages: the verifiers' queue, the verification page with its chart and the four-eyes forms."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..confirmation import Confirmation, Input, render_confirmation
from ..errors import DomainError
from ..event_dates import form_day
from ..extensions import db
from ..form_errors import FormErrors, form_errors
from ..list_views import list_page
from . import services
from .lists import VERIFICATIONS
from ..monitoring.chart_spec import chart_spec
from ..monitoring.line_chart import fit_chart_series, fit_charts

bp = Blueprint("verifications", __name__)


LABELS = {"decision": "Decision", "comment": "Comment", "confirmed_on": "Confirmed on", "proposed_on": "Proposed on", "status": "Verification status",
          "supersedes_id": "Verification it corrects", "_schema": "This verification"}


@bp.route("/verifications")
@login_required
def queue():
    actor = current_actor()
    return list_page(VERIFICATIONS, lambda args: services.verifications_query(actor, args),
                     "verifications/queue.html", "verifications.queue", extra=lambda: {
                         "ready": services.ready_to_verify(actor) if actor.has("verifier", "senior_verifier") else []})


@bp.route("/proposals/<int:proposal_id>/verify", methods=["POST"])
@login_required
def start(proposal_id: int):
    supersedes = request.form.get("supersedes_id", type=int)
    data: dict = {"supersedes_id": supersedes} if supersedes else {}
    models = [{"indicator": key.split(".", 1)[1], "method": method,
               "drivers": [d.strip() for d in request.form.get(f"drivers.{key.split('.', 1)[1]}", "").split(",") if d.strip()],
               "reason": request.form.get(f"reason.{key.split('.', 1)[1]}") or None}
              for key, method in request.form.items() if key.startswith("method.")]
    if models:
        data["models"] = models
    try:
        v = services.create_verification(current_actor(), proposal_id, data)
    except DomainError as exc:
        flash("Not verified: " + form_errors(exc, LABELS).sentence(), "error")
        return redirect(url_for("monitoring.page", proposal_id=proposal_id))
    return redirect(url_for("verifications.detail", verification_id=v.id))


def _monthly_charts(v) -> list[dict]:  # type: ignore[no-untyped-def]
    """Each indicator's verified months (the accepted reports it counted) against baseline, target and bands."""
    from ..monitoring.progress import indicator_progress
    from ..scoring.services import rulebook_for

    projected = {i.stream: (i.projected_quantity, i.projected_output) for i in v.proposal.indicators}
    return indicator_progress(v.plan, projected, rulebook_for(v.proposal).grant_bands, periods=set(v.periods or []))


def render_detail(verification_id: int, errors: FormErrors | None = None, failed: str | None = None, status: int = 200):
    """The verification page; after a refused action, with its errors and what was typed."""
    db.session.rollback()
    actor = current_actor()
    v = services.get_verification(actor, verification_id)
    return render_template("verifications/detail.html", v=v, r=v.result, actor=actor, grant=v.grant,
                           grant_summary=services.grant_summary(v), uploaders=services.uploaders(v),
                           progress=_monthly_charts(v),
                           fit_specs={name: chart_spec(c) for name, c in fit_chart_series(v.result).items()},
                           errors=errors or FormErrors(), failed=failed,
                           form=request.form if failed else {}), status


@bp.route("/verifications/<int:verification_id>")
@login_required
def detail(verification_id: int):
    return render_detail(verification_id)


def _pct(x: object) -> str:
    return "n/a" if x is None else f"{float(x) * 100:.1f}%"  # type: ignore[arg-type]


def _refused(verification_id: int, form_name: str, exc: DomainError):
    return render_detail(verification_id, form_errors(exc, LABELS, prefix=f"{form_name}-"), form_name, 422)


def _done(verification_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("verifications.detail", verification_id=verification_id))


@bp.route("/verifications/<int:verification_id>/propose", methods=["POST"])
@login_required
def propose(verification_id: int):
    try:
        services.propose(current_actor(), verification_id, request.form.get("decision", ""), request.form.get("comment", ""),
                         form_day(request.form, "proposed_on"))
    except DomainError as exc:
        return _refused(verification_id, "propose", exc)
    return _done(verification_id, "Decision proposed; a senior verifier will confirm it.")


@bp.route("/verifications/<int:verification_id>/confirm", methods=["GET", "POST"])
@login_required
def confirm(verification_id: int):
    """The second pair of eyes: GET shows the decision and its figures, POST confirms it (a grant may follow)."""
    actor = current_actor()
    v = services.get_verification(actor, verification_id)
    r, people = v.result, services.people_of(v)
    c = Confirmation(
        f"Confirm verification V{v.id}", url_for("verifications.confirm", verification_id=v.id),
        url_for("verifications.detail", verification_id=v.id), "Confirm the decision",
        [("Enterprise", v.proposal.enterprise.legal_name), ("Investment", v.proposal.title),
         ("Decision proposed", f"{(v.decision or '').replace('_', ' ')} by {people['proposed_by']} "
                               f"on {services.proposed_day(v)}"),
         ("Periods", ", ".join(v.periods)), ("Main improvement", _pct(r.get("main_improvement"))),
         ("Net improvement", _pct(r.get("net_improvement"))),
         ("CO2e avoided a year", f"{r.get('co2e_avoided_t_per_year') or 0} t")],
        [Input("confirmed_on", "Confirmed on", "date"), Input("comment", "Comment", "textarea")],
        note="A confirmed 'verified' decision is final and calculates the incentive grant for the fund to approve.",
        roles=("senior_verifier",), action="confirm verifications")
    if request.method == "GET":
        return render_confirmation(c)
    try:
        services.confirm(actor, verification_id, request.form.get("comment") or None,
                         form_day(request.form, "confirmed_on"))
    except DomainError as exc:
        db.session.rollback()
        return render_confirmation(c, form_errors(exc, LABELS))
    return _done(verification_id, "Verification confirmed.")


@bp.route("/verifications/<int:verification_id>/reject", methods=["POST"])
@login_required
def reject(verification_id: int):
    try:
        services.reject(current_actor(), verification_id, request.form.get("comment", ""))
    except DomainError as exc:
        return _refused(verification_id, "reject", exc)
    return _done(verification_id, "Returned to the verifier.")


@bp.route("/verifications/<int:verification_id>/withdraw", methods=["POST"])
@login_required
def withdraw(verification_id: int):
    try:
        services.withdraw(current_actor(), verification_id, request.form.get("comment") or None)
    except DomainError as exc:
        return _refused(verification_id, "withdraw", exc)
    return _done(verification_id, "Proposal withdrawn; the verification can be proposed again.")


@bp.route("/verifications/<int:verification_id>/evidence/<int:number>")
@login_required
def evidence(verification_id: int, number: int):
    from ..files.disposition import download

    data, name, kind = services.evidence_file(current_actor(), verification_id, number)
    return download(data, name, kind)


@bp.route("/verifications/<int:verification_id>/certificate")
@login_required
def certificate(verification_id: int):
    actor = current_actor()
    v = services.get_verification(actor, verification_id)
    if v.status != "confirmed":
        flash("A certificate exists only for a confirmed verification.", "error")
        return redirect(url_for("verifications.detail", verification_id=v.id))
    # The certificate is the printed document: its fit charts stay server-drawn SVG, as in the PDF.
    return render_template("verifications/certificate.html", v=v, r=v.result, grant=v.grant,
                           people=services.people_of(v), charts=fit_charts(v.result))


@bp.route("/verifications/<int:verification_id>/certificate.pdf")
@login_required
def certificate_pdf(verification_id: int):
    from ..files.disposition import download
    from .certificate import certificate_pdf as render_pdf

    v = services.get_verification(current_actor(), verification_id)
    if v.status != "confirmed":
        flash("A certificate exists only for a confirmed verification.", "error")
        return redirect(url_for("verifications.detail", verification_id=v.id))
    # A PDF runs no script: the same series as the page's Chart.js chart, drawn as SVG.
    data = render_pdf({**services.certificate_data(v, v.grant), "charts": fit_charts(v.result)})
    name = f"certificate-{services.certificate_number(v)}.pdf"
    return download(data, name, "application/pdf", disposition="inline")
