"""Pages: the verifiers' queue, the verification page with its chart and the four-eyes forms."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import DomainError, ValidationFailed
from ..event_dates import form_day
from ..list_views import list_page
from . import services
from .lists import VERIFICATIONS
from .chart import specific_consumption_chart
from .line_chart import fit_charts

bp = Blueprint("verifications", __name__)


def _problem(exc: DomainError) -> str:
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
    return f"{exc.message}{': ' + details if details else ''}"


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
        flash(f"Not verified: {_problem(exc)}", "error")
        return redirect(url_for("monitoring.page", proposal_id=proposal_id))
    return redirect(url_for("verifications.detail", verification_id=v.id))


@bp.route("/verifications/<int:verification_id>")
@login_required
def detail(verification_id: int):
    actor = current_actor()
    v = services.get_verification(actor, verification_id)
    return render_template("verifications/detail.html", v=v, r=v.result, actor=actor, grant=v.grant,
                           grant_summary=services.grant_summary(v), uploaders=services.uploaders(v),
                           chart=specific_consumption_chart(v.result), charts=fit_charts(v.result))


@bp.route("/verifications/<int:verification_id>/<action>", methods=["POST"])
@login_required
def act(verification_id: int, action: str):
    actor = current_actor()
    comment = request.form.get("comment", "")
    try:
        if action == "propose":
            services.propose(actor, verification_id, request.form.get("decision", ""), comment)
        elif action == "confirm":
            services.confirm(actor, verification_id, comment or None, form_day(request.form, "confirmed_on"))
        elif action == "reject":
            services.reject(actor, verification_id, comment)
        elif action == "withdraw":
            services.withdraw(actor, verification_id, comment or None)
        else:
            raise ValidationFailed("unknown action", {"action": [action]})
        flash({"propose": "Decision proposed; a senior verifier will confirm it.",
               "confirm": "Verification confirmed.", "reject": "Returned to the verifier.",
               "withdraw": "Proposal withdrawn; the verification can be proposed again."}[action], "success")
    except DomainError as exc:
        flash(f"Not done: {_problem(exc)}", "error")
    return redirect(url_for("verifications.detail", verification_id=verification_id))


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
    data = render_pdf({**services.certificate_data(v, v.grant), "charts": fit_charts(v.result)})
    name = f"certificate-{services.certificate_number(v)}.pdf"
    return download(data, name, "application/pdf", disposition="inline")
