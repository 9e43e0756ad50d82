"""Pages: the inbox of hand-offs and reminders, and the unread count every page's nav shows."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth.current import current_actor
from ..pagination import page_arg
from . import services

bp = Blueprint("inbox", __name__)


@bp.app_context_processor
def _unread_badge() -> dict[str, Any]:
    def unread_count() -> int:
        # One count per request, however many times the layout asks.
        if "unread_count" not in g:
            g.unread_count = services.unread_count(current_actor()) if current_user.is_authenticated else 0
        return g.unread_count
    return {"unread_count": unread_count}


@bp.route("/inbox")
@login_required
def index():
    unread_only = request.args.get("show") == "unread"
    page = services.inbox(current_actor(), page_arg(), unread_only=unread_only)
    return render_template("inbox.html", page=page, unread_only=unread_only)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark it read and go to what it is about (or stay in the inbox when asked to)."""
    n = services.mark_read(current_actor(), notification_id)
    if request.form.get("stay"):
        return redirect(url_for("inbox.index", page=page_arg(request.form)))
    return redirect(n.url or url_for("inbox.index"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all():
    done = services.mark_all_read(current_actor())
    flash(f"{done} notification{'s' if done != 1 else ''} marked read." if done else "Nothing was unread.", "success")
    return redirect(url_for("inbox.index"))
