"""Rulebook YAML read with its line numbers, so every problem can say where it is in the text."""
from __future__ import annotations

from typing import Any, Sequence

import yaml

Path = Sequence[str | int]
# libyaml's parser when PyYAML was built with it (three times faster); both keep every node's mark.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SourceText:
    """The parsed document and its node tree; ``line(path)`` finds the line a key or item starts on."""

    def __init__(self, text: str):
        # Composing keeps every node's start mark; the data comes from the same nodes, so the two agree.
        loader = LOADER(text)
        try:
            self.root = loader.get_single_node()
            self.data: Any = loader.construct_document(self.root) if self.root is not None else None
        finally:
            loader.dispose()

    def line(self, path: Path) -> int | None:
        """The 1-based line of the deepest node along ``path`` that exists (its parent when a key is missing)."""
        node = self.root
        found = node.start_mark.line + 1 if node is not None else None
        for step in path:
            node = _child(node, step)
            if node is None:
                break
            found = node.start_mark.line + 1
        return found


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(step):
                # A key with a nested block is reported where the key is written, not where its value starts.
                return value if not isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) else _Keyed(key, value)
        return None
    if isinstance(node, _Keyed):
        return _child(node.node, step)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]
    return None


class _Keyed(yaml.Node):
    """A mapping or list value standing at its key's line."""

    def __init__(self, key: yaml.Node, node: yaml.Node):
        super().__init__(node.tag, node.value, key.start_mark, node.end_mark)
        self.node = node


def format_path(path: Path) -> str:
    """``eligibility[3].when`` from ("eligibility", 3, "when")."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "top level"
