"""The rulebooks the running app knows, loaded once from RULES_DIR at start-up."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Flask, current_app


class RulebookRegistry:
    """Rulebooks by (id, version); each entry keeps the parsed document and its path."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._books: dict[tuple[str, str], dict[str, Any]] = {}
        self.reload()

    def reload(self) -> None:
        """Read every rulebook file again."""
        books: dict[tuple[str, str], dict[str, Any]] = {}
        for path in sorted(self.directory.glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(doc, dict) and "id" in doc and "version" in doc:
                books[(str(doc["id"]), str(doc["version"]))] = {"path": path, "doc": doc}
        self._books = books

    def find(self, rulebook_id: str, version: str) -> dict[str, Any] | None:
        """Return the rulebook with this id and version, or None."""
        return self._books.get((rulebook_id, str(version)))

    def all(self) -> list[dict[str, Any]]:
        """Return every known rulebook, ordered by id and version."""
        return [self._books[k] for k in sorted(self._books)]


def init_app(app: Flask) -> None:
    """Load the rulebooks of RULES_DIR into the app."""
    app.extensions["rulebooks"] = RulebookRegistry(app.config["RULES_DIR"])


def registry() -> RulebookRegistry:
    """Return the current app's rulebook registry."""
    return current_app.extensions["rulebooks"]
