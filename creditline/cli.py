"""Register one click group per domain."""
from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to ``flask``."""
    from .audit.cli import audit_cli
    from .auth.cli import users_cli
    from .demo import demo_command
    from .jobs.scheduler import jobs_cli, scheduler_command
    from .rulebook_versions.cli import rules_cli, score_command

    for command in (users_cli, audit_cli, demo_command, rules_cli, score_command, jobs_cli, scheduler_command):
        app.cli.add_command(command)
