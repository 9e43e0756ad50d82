"""The rulebooks the running app knows, loaded and validated once from RULES_DIR at start-up."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from ..rules.loader import Rulebook, load_directory

log = logging.getLogger(__name__)


class RulebookRegistry:
    """Valid rulebooks by (id, version) and by content hash; invalid files are kept as problems."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._books: dict[tuple[str, str], Rulebook] = {}
        self._by_hash: dict[str, Rulebook] = {}
        self.problems: list[str] = []
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

    def get(self, rulebook_id: str, version: str) -> Rulebook | None:
        """The rulebook with this id and version, or None."""
        return self._books.get((rulebook_id, str(version)))

    find = get

    def by_hash(self, content_hash: str) -> Rulebook | None:
        """The rulebook with this content hash, if this process has seen it."""
        return self._by_hash.get(content_hash)

    def latest(self, rulebook_id: str) -> Rulebook | None:
        """The newest version of a rulebook (versions compare as dotted numbers when they can)."""
        versions = [b for (i, _), b in self._books.items() if i == rulebook_id]
        return max(versions, key=lambda b: _version_key(b.version), default=None)

    def all(self) -> list[Rulebook]:
        """Every valid rulebook, ordered by id and version."""
        return [self._books[k] for k in sorted(self._books, key=lambda k: (k[0], _version_key(k[1])))]


def _version_key(version: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in str(version).split("."))


def init_app(app: Flask) -> None:
    """Load the rulebooks of RULES_DIR into the app."""
    app.extensions["rulebooks"] = RulebookRegistry(app.config["RULES_DIR"])


def registry() -> RulebookRegistry:
    """Return the current app's rulebook registry."""
    return current_app.extensions["rulebooks"]
