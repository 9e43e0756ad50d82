"""``flask rules check|facts`` and ``flask score FILE.csv``: rulebooks and batch scoring offline."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from ..errors import ValidationFailed
from ..rulebooks import registry
from ..rules.cases import case_problems
from ..rules.facts import CATALOGUE
from ..rules.loader import RulebookError, load_rulebook
from ..rules.schema import describe



@click.group("rules")
def rules_cli() -> None:
    """Validate and inspect rulebooks."""


@rules_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def check_command(paths: tuple[str, ...]) -> None:
    """Validate every rulebook of RULES_DIR (or the given files) and run its cases; exit 1 on any problem."""
    from ..scoring.services import changed_rulebooks

    files = [Path(p) for p in paths] or sorted(Path(current_app.config["RULES_DIR"]).glob("*.yaml"))
    problems = 0
    for path in files:
        try:
            book = load_rulebook(path)
        except RulebookError as exc:
            problems += len(exc.problems)
            for p in exc.problems:
                click.echo(f"ERROR {p}", err=True)
            continue
        try:
            changed = changed_rulebooks([book])
        except SQLAlchemyError:
            changed = []  # no database yet: nothing has been scored, so nothing can have changed
        failing = [f"{path}: {p}" for p in case_problems(book)]
        for p in changed + failing:
            click.echo(f"ERROR {p}", err=True)
        problems += len(changed) + len(failing)
        rules = len(book.gates) + sum(len(r) for r in book.scoring.values())
        if not changed and not failing:
            click.echo(f"ok    {path}: {book.id} {book.version}, {rules} rules, {len(book.cases)} cases hold, "
                       f"{book.hash[:19]}…")
    if problems:
        click.echo(f"{problems} problem(s) found", err=True)
        sys.exit(1)


@rules_cli.command("import")
@with_appcontext
def import_command() -> None:
    """Store the rulebook files not yet in the database as their first published versions."""
    from .services import import_files

    added = import_files()
    click.echo(f"imported {', '.join(added)}" if added else "every rulebook file is already in the database")


@rules_cli.command("schema")
def schema_command() -> None:
    """Print the rulebook format: every key, its type and whether it is required."""
    for line in describe():
        click.echo(line)


@rules_cli.command("facts")
def facts_command() -> None:
    """List the facts rule conditions can use."""
    for name, fact in CATALOGUE.items():
        click.echo(f"{name:32} {fact.kind:7} {fact.description}")


@click.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--rulebook", "rulebook_id", required=True, help="rulebook id, e.g. gctf-vn")
@click.option("--version", default=None, help="rulebook version (default: the newest)")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="results CSV to write")
@with_appcontext
def score_command(file: str, rulebook_id: str, version: str | None, out_path: str) -> None:
    """Score every proposal row of a CSV or .xlsx file; bad rows are reported and do not stop the others."""
    from ..scoring.batch import score_table
    from ..scoring.batch_io import is_workbook, read_frame
    from ..scoring.batch_table import error_text, write_csv

    book = registry().get(rulebook_id, version) if version else registry().latest(rulebook_id)
    if book is None:
        raise click.ClickException(f"no rulebook {rulebook_id} {version or ''}".strip())
    data = Path(file).read_bytes()
    try:
        frame = read_frame(data, excel=is_workbook(data, file))
    except ValidationFailed as exc:
        raise click.ClickException(f"{exc.message}: {exc.errors}") from None
    with tqdm(total=frame.num_rows, unit="proposal", file=sys.stderr) as bar:
        out = score_table(book, frame, progress=bar.update)
    write_csv(out["table"], out_path)
    scored, errors = out["scored"], out["errors"]
    click.echo(f"{scored} scored, {len(errors)} rejected with {book.id} {book.version}; wrote {out_path}")
    for e in errors[:20]:
        click.echo(f"row {e['row']}: {error_text(e['errors'])}", err=True)
