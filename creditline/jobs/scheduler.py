"""APScheduler wiring and the ``flask jobs`` / ``flask scheduler`` commands."""
from __future__ import annotations

import json
import time
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .daily import run_daily
from .. import clock


def _tick(app: Flask) -> None:
    with app.app_context():
        run_daily(clock.today())


def build_scheduler(app: Flask, run_at_start: bool = True):  # type: ignore[no-untyped-def]
    """A background scheduler with the daily job at 01:00 UTC (and once at start-up), not started."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(_tick, "cron", hour=1, minute=0, args=[app], id="daily", coalesce=True, max_instances=1,
                      misfire_grace_time=6 * 3600)
    if run_at_start:
        # A process started after 01:00 still runs today's job; a day already run is skipped.
        scheduler.add_job(_tick, "date", args=[app], id="startup")
    return scheduler


def start_scheduler(app: Flask, run_at_start: bool = True):  # type: ignore[no-untyped-def]
    """Start the background scheduler that runs the daily job (the one scheduler of a deployment)."""
    scheduler = build_scheduler(app, run_at_start)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    return scheduler


def init_app(app: Flask) -> None:
    if app.config.get("SCHEDULER_ENABLED"):
        start_scheduler(app)


@click.group("jobs")
def jobs_cli() -> None:
    """Run scheduled jobs by hand (tests and operators replay a day)."""


@jobs_cli.command("run-daily")
@click.option("--date", "day", default=None, help="YYYY-MM-DD (default: today)")
@click.option("--replay", is_flag=True, help="run the steps again for a day already run (they find nothing new)")
@with_appcontext
def run_daily_command(day: str | None, replay: bool) -> None:
    """Run the daily job for a given day, once: a day already run is skipped unless --replay."""
    try:
        when = date.fromisoformat(day) if day else clock.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    summary = run_daily(when, replay=replay)
    click.echo(json.dumps({"date": when.isoformat(), **summary}, indent=1, default=str))


@click.command("scheduler")
@click.argument("action", type=click.Choice(["run"]))
@with_appcontext
def scheduler_command(action: str) -> None:
    """Run the scheduler in this process until stopped (the one scheduler of a deployment)."""
    start_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("scheduler running: the daily job at 01:00 UTC; Ctrl+C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        current_app.extensions["scheduler"].shutdown()
