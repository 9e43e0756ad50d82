"""What text a person may type: no control characters, lone surrogates or direction overrides.

A NUL byte or a lone surrogate cannot be stored by PostgreSQL (a 500 before this check); a
control character or a bidi override in a name makes it print as something it is not (a file
``invoice‮fdp.exe`` shows as ``invoiceexe.pdf``). Multi-line fields keep tab and line breaks.
"""
from __future__ import annotations

import re

# Explicit direction controls (embeddings, overrides, isolates) and the invisible marks that
# reorder text; ordinary right-to-left letters are of course fine.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, less tab and line breaks
_SURROGATES = "\ud800-\udfff"
_MULTILINE = re.compile(f"[{_CONTROLS}{_SURROGATES}{BIDI_CONTROLS}]")
_SINGLE_LINE = re.compile(f"[\t\n\r{_CONTROLS}{_SURROGATES}{BIDI_CONTROLS}]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Name the first character that makes ``value`` unfit to store, or None when it is fine."""
    found = (_MULTILINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    char, position = found.group(), found.start() + 1
    if "\ud800" <= char <= "\udfff":
        return f"holds an invalid character (a lone surrogate) at position {position}"
    if char in "\r\n":
        return f"holds a line break at position {position}; this field is one line"
    if re.fullmatch(f"[{BIDI_CONTROLS}]", char):
        return f"holds a text-direction control (U+{ord(char):04X}) at position {position}"
    return f"holds a control character (U+{ord(char):04X}) at position {position}"


def strip_unsafe(value: str) -> str:
    """Drop every character a one-line field refuses (line breaks and tabs included)."""
    return _SINGLE_LINE.sub("", value)
