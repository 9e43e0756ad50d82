"""``flask audit verify``: walk the hash chain and report the first broken link."""
import sys

import click
from flask.cli import AppGroup

from .services import verify_chain

audit_cli = AppGroup("audit", help="Inspect the audit trail.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every event's hash and link; exit 1 at the first broken one."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit trail intact: {report.checked} events checked")
        return
    click.echo(f"audit trail BROKEN at event {report.broken_at}: {report.reason} "
               f"({report.checked} events before it are intact)", err=True)
    sys.exit(1)
