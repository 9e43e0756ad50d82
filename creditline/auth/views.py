"""Pages: sign in and sign out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from ..errors import Unauthorized
from ..form_errors import FormErrors
from . import services
from .current import sign_in, sign_out
from .signin_limits import signin_limited

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@signin_limited
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except Unauthorized as exc:
            form.password.errors = [exc.message]
            status = 401
        else:
            sign_in(user)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    # WTForms names its fields by the inputs' ids; the summary says the same in words.
    errors = FormErrors(dict(form.errors), {"email": "E-mail", "password": "Password", "csrf_token": "This page"},
                        {"email": "email", "password": "password"})
    return render_template("auth/login.html", form=form, errors=errors), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))
