"""The rulebooks the app knows: the shipped files of RULES_DIR and the versions published in the database.

Every lookup asks the database for the published versions, so a version one fund admin publishes
is seen by every worker process at its next request, without a restart. Published texts never
change, so a parsed version is cached in the process by its hash.

The version in force on a day is asked on every score, the busiest request, and batch paths (the
loan tape import, arrears runs) ask for a line's version once per row. Both the published set and
the version in force by (rulebook, day) are kept in the process together with a stamp of the
published set (how many versions are published, the sum of their ids, the latest change to any
version, how many versions there are). Each lookup reads only the stamp, one aggregate row; a
publish, a retirement or a rolled-back change moves it, so the next request in every worker sees
the new set.
"""
from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..rules.loader import Rulebook, RulebookError, load_directory, parse_rulebook

log = logging.getLogger(__name__)


class RulebookRegistry:
    """Valid rulebooks by (id, version), by content hash and by the day they are in force."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._books: dict[tuple[str, str], Rulebook] = {}
        self._by_hash: dict[str, Rulebook] = {}
        self.problems: list[str] = []
        # (stamp of the published set, {(rulebook id, day): the version in force}), swapped whole.
        self._in_force: tuple[tuple | None, dict[tuple[str, date], Rulebook | None]] = (None, {})
        # (stamp of the published set, {rulebook id or None for all: the published versions}), swapped whole.
        self._published: tuple[tuple | None, dict[str | None, list[tuple[Rulebook, date | None]]]] = (None, {})
        self.reload()

    def reload(self) -> None:
        """Read every rulebook file again."""
        books, problems = load_directory(self.directory)
        for p in problems:
            log.error("rulebook not loaded: %s", p)
        self._books = {(b.id, b.version): b for b in books}
        # Keep books known by hash across reloads, so an old assessment can still be explained.
        self._by_hash.update({b.hash: b for b in books})
        self.problems = problems
        self._in_force = (None, {})
        self._published = (None, {})

    def _parsed(self, text: str, content_hash: str, label: str) -> Rulebook | None:
        book = self._by_hash.get(content_hash)
        if book is None:
            try:
                book = parse_rulebook(text, label)
            except RulebookError as exc:  # a text the schema of this release refuses stays out, loudly
                log.error("published rulebook %s not usable: %s", label, exc)
                return None
            self._by_hash[book.hash] = book
        return book

    def published(self, rulebook_id: str | None = None) -> list[tuple[Rulebook, date | None]]:
        """The versions published in the database (not retired), with the day each applies from."""
        stamp = self._published_stamp()
        cached_stamp, sets = self._published
        if stamp is None or stamp != cached_stamp:
            sets = {}
        if rulebook_id in sets:
            return list(sets[rulebook_id])
        found = self._published_now(rulebook_id)
        if stamp is not None:
            sets[rulebook_id] = found
            self._published = (stamp, sets)
        return list(found)

    def _published_now(self, rulebook_id: str | None) -> list[tuple[Rulebook, date | None]]:
        from .models import RulebookVersion

        stmt = select(RulebookVersion.rulebook_id, RulebookVersion.version, RulebookVersion.text,
                      RulebookVersion.hash, RulebookVersion.effective_from).where(RulebookVersion.status == "published")
        if rulebook_id is not None:
            stmt = stmt.where(RulebookVersion.rulebook_id == rulebook_id)
        try:
            rows = db.session.execute(stmt).all()
        except SQLAlchemyError:
            # No database (or no table yet, before the upgrade): the shipped files are all there is.
            db.session.rollback()
            return []
        out = []
        for row in rows:
            book = self._parsed(row.text, row.hash, f"{row.rulebook_id} {row.version}")
            if book is not None:
                out.append((book, row.effective_from))
        return out

    def _everything(self, rulebook_id: str | None = None) -> dict[tuple[str, str], tuple[Rulebook, date | None]]:
        found = {(b.id, b.version): (b, e) for b, e in self.published(rulebook_id)}
        # A shipped file wins over a database copy of the same id and version (it is the same text once
        # imported; a file edited in place is refused at scoring by the snapshot check).
        found.update({k: (b, b.effective_from) for k, b in self._books.items()
                      if rulebook_id is None or k[0] == rulebook_id})
        return found

    def get(self, rulebook_id: str, version: str) -> Rulebook | None:
        """The rulebook with this id and version, or None."""
        book = self._books.get((rulebook_id, str(version)))
        if book is not None:
            return book
        found = self._everything(rulebook_id).get((rulebook_id, str(version)))
        return found[0] if found else None

    find = get

    def by_hash(self, content_hash: str) -> Rulebook | None:
        """The rulebook with this content hash: from this process, else any version stored in the database."""
        book = self._by_hash.get(content_hash)
        if book is not None:
            return book
        from .models import RulebookVersion

        try:
            row = db.session.execute(select(RulebookVersion).where(RulebookVersion.hash == content_hash)
                                     .limit(1)).scalar_one_or_none()
        except SQLAlchemyError:
            db.session.rollback()
            return None
        return self._parsed(row.text, row.hash, f"{row.rulebook_id} {row.version}") if row else None

    def latest(self, rulebook_id: str) -> Rulebook | None:
        """The newest version of a rulebook (versions compare as dotted numbers when they can)."""
        versions = [b for b, _ in self._everything(rulebook_id).values()]
        return max(versions, key=lambda b: version_key(b.version), default=None)

    def _published_stamp(self) -> tuple | None:
        """What changes whenever the published set does; None when the database cannot say."""
        try:
            row = db.session.connection().execute(_stamp_query()).one()
        except SQLAlchemyError:
            db.session.rollback()
            return None
        return tuple(row)

    def in_force(self, rulebook_id: str, on: date) -> Rulebook | None:
        """The version that applies on a day: the one with the latest effective date not after it."""
        stamp = self._published_stamp()
        cached_stamp, books = self._in_force
        if stamp is None or stamp != cached_stamp:
            books = {}
        key = (rulebook_id, on)
        if key in books:
            return books[key]
        book = self._in_force_now(rulebook_id, on)
        if stamp is not None:
            books[key] = book
            self._in_force = (stamp, books)
        return book

    def _in_force_now(self, rulebook_id: str, on: date) -> Rulebook | None:
        candidates = [(e or date.min, version_key(b.version), b) for b, e in self._everything(rulebook_id).values()
                      if (e or date.min) <= on]
        return max(candidates, key=lambda c: c[:2])[2] if candidates else None

    def all(self) -> list[Rulebook]:
        """Every valid rulebook, ordered by id and version."""
        found = self._everything()
        return [found[k][0] for k in sorted(found, key=lambda k: (k[0], version_key(k[1])))]


@lru_cache(maxsize=1)
def _stamp_query() -> Select[Any]:
    # Built once, of plain table columns: it runs on every score.
    from .models import RulebookVersion

    t = RulebookVersion.__table__
    published = t.c.status == "published"
    return select(func.count(case((published, 1))), func.sum(case((published, t.c.id), else_=0)),
                  func.max(t.c.updated_at), func.count(t.c.id))


def version_key(version: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in str(version).split("."))


def init_app(app: Flask) -> None:
    """Load the rulebooks of RULES_DIR into the app."""
    app.extensions["rulebooks"] = RulebookRegistry(app.config["RULES_DIR"])


def registry() -> RulebookRegistry:
    """Return the current app's rulebook registry."""
    return current_app.extensions["rulebooks"]
