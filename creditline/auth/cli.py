"""``flask users ...``: bootstrap the first fund administrator."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..errors import ValidationFailed
from ..extensions import db
from .models import Organisation
from .services import create_organisation, create_user

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Fund administrator", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--fund", "fund_name", default="Green Credit Trust Fund", show_default=True,
              help="The fund organisation; created if missing.")
@click.option("--country", default="CH", show_default=True)
def create_admin(email: str, name: str, password: str, fund_name: str, country: str) -> None:
    """Create the first fund administrator (and the fund organisation if needed)."""
    org = db.session.execute(select(Organisation).where(Organisation.name == fund_name)).scalar_one_or_none()
    try:
        if org is None:
            org = create_organisation(None, "fund", fund_name, country)
        elif org.kind != "fund":
            raise click.ClickException(f"'{fund_name}' is a {org.kind}, not a fund")
        user = create_user(None, email=email, name=name, password=password,
                           organisation_id=org.id, roles=["fund_admin"])
    except ValidationFailed as exc:
        problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
        raise click.ClickException(f"{exc.message}: {problems}") from exc
    click.echo(f"created fund admin {user.email} in {org.name}")
