"""Form errors in people's words: one place turns validation messages into (field id, label, message).

Marshmallow and the services name fields by their path (``indicators.0.baseline_quantity``) and
marshmallow's defaults read like a program ("Missing data for required field."). A page shows the
field's label ("Indicator 1: baseline quantity") and a sentence saying what to enter; the same
object answers ``errors.get(name)`` so a template can mark each field where it stands.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# A list's rows are named by what one row is: "indicators.0" is "Indicator 1".
ROW_NOUNS = {"indicators": "Indicator", "corrections": "Indicator", "cost_items": "Cost item",
             "disbursement_plan": "Tranche", "rows": "Row", "bank_ids": "Bank", "periods": "Period",
             "quantities": "Quantity", "reports": "Report", "roles": "Role", "months": "Month"}

# Marshmallow's default messages, said as what to do instead ({label} is the field's label).
_PLAIN = {
    "Missing data for required field.": "Enter the {label}.",
    "This field is required.": "Enter the {label}.",
    "Invalid email address.": "Enter an e-mail address such as name@example.org.",
    "The CSRF token is missing.": "The page had expired; enter it again.",
    "The CSRF token has expired.": "The page had expired; enter it again.",
    "Field may not be null.": "Enter the {label}.",
    "Field may not be blank.": "Enter the {label}.",
    "Shorter than minimum length 1.": "Enter the {label}.",
    "Not a valid number.": "Enter a number, e.g. 12,500.00.",
    "Not a valid decimal.": "Enter a number, e.g. 12,500.00.",
    "Not a valid integer.": "Enter a whole number, e.g. 12.",
    "Not a valid date.": "Enter a date as YYYY-MM-DD, e.g. 2026-11-17.",
    "Not a valid datetime.": "Enter a date and time as YYYY-MM-DD HH:MM.",
    "Not a valid string.": "Enter text.",
    "Not a valid boolean.": "Choose yes or no.",
    "Not a valid list.": "Choose one or more.",
    "Not a valid email address.": "Enter an e-mail address such as name@example.org.",
    "Not a valid mapping type.": "Fill in the {label}.",
    "Invalid input type.": "Enter text.",
    "Invalid value.": "Choose a valid {label}.",
    "Unknown field.": "The form sent a {label} it does not ask for; reload the page.",
    "Special numeric values (nan or infinity) are not permitted.": "Enter a number, e.g. 12,500.00.",
}
_ONE_OF = re.compile(r"^Must be one of: (.*)\.$")
# The API's own wording for amounts, said as what to type instead.
_REWORDED = (
    (re.compile(r"^not a valid amount: at most (\S+) can be stored, got (.*)$", re.I),
     "Enter an amount of at most {0} (you entered {1})."),
    (re.compile(r"^not a valid amount, got (.*)$", re.I), "Enter an amount such as 12,500.00 (you entered {0})."),
    (re.compile(r"^not a valid (\w[\w ]*)(.*)$", re.I), "Enter a valid {0}{1}"),
)
# Problems of the whole thing rather than of one input: the summary names them without a link.
NOT_FIELDS = frozenset({"_schema", "csrf_token", "status", "current_state", "allowed", "guarantee", "loan", "grant", "verification"})
_REPR = re.compile(r"Decimal\('([^']*)'\)|datetime\.date\((\d+), (\d+), (\d+)\)")


@dataclass(frozen=True)
class FieldError:
    """One problem, as a page shows it: the input's id to link to, its label and what to do."""

    name: str
    field_id: str
    label: str
    message: str


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as dotted names (``indicators.0.unit``) mapped to their texts."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
                flat.update(flatten(value, name))
            else:
                flat.setdefault(name, []).extend(value if isinstance(value, list) else [str(value)])
    elif isinstance(messages, list):
        flat.setdefault(prefix or "_schema", []).extend(str(m) for m in messages)
    elif messages:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


def label_of(name: str, labels: Mapping[str, str]) -> str:
    """The label for a dotted name: the form's own, else "Indicator 1: baseline quantity" for a row's cell."""
    if name in labels:
        return labels[name]
    if name == "_schema":
        return labels.get("_schema", "This form")
    parts = name.split(".")
    words: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            noun = ROW_NOUNS.get(part, labels.get(part, _words(part).capitalize()))
            words.append(f"{noun} {int(parts[i + 1]) + 1}")
            i += 2
            continue
        if part.isdigit():
            words.append(f"row {int(part) + 1}")
        else:
            words.append(labels.get(part, _words(part)))
        i += 1
    text = ": ".join(words) if len(words) > 1 else (words[0] if words else "This form")
    return text[:1].upper() + text[1:]


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Legal name" -> "legal name", but "NCPC" and "ISIC Rev.4" keep their capitals."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def plain_message(message: str, label: str) -> str:
    """A message with marshmallow's defaults and Python reprs replaced by words."""
    text = str(message).strip()
    if text in _PLAIN:
        return _PLAIN[text].format(label=_in_sentence(label))
    one_of = _ONE_OF.match(text)
    if one_of:
        return f"Choose one of: {one_of.group(1)}."
    for pattern, words in _REWORDED:
        found = pattern.match(text)
        if found:
            text = words.format(*found.groups())
            break
    text = _REPR.sub(lambda m: m.group(1) if m.group(1) is not None
                     else f"{int(m.group(2)):04d}-{int(m.group(3)):02d}-{int(m.group(4)):02d}", text)
    return text or f"Check the {label.lower()}."


class FormErrors:
    """Every problem with one submitted form, in order, labelled; empty (falsy) when there is none."""

    def __init__(self, messages: Any = None, labels: Mapping[str, str] | None = None,
                 ids: Mapping[str, str] | None = None, prefix: str = "f-") -> None:
        labels, ids = labels or {}, ids or {}
        self.items: list[FieldError] = []
        for name, texts in flatten(messages).items():
            label = label_of(name, labels)
            field_id = ids.get(name) or ("" if name in NOT_FIELDS else prefix + re.sub(r"[^A-Za-z0-9_-]", "-", name))
            for text in texts:
                # Inside a row the sentence names the cell: "Enter the baseline quantity."
                self.items.append(FieldError(name, field_id, label, plain_message(text, label.rsplit(": ", 1)[-1])))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len({e.name for e in self.items})

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self.items)

    def __contains__(self, name: object) -> bool:
        return any(e.name == name for e in self.items)

    def get(self, name: str, default: Any = None) -> list[str] | Any:
        """The messages for one field (a template marks the field with them)."""
        found = [e.message for e in self.items if e.name == name]
        return found or default

    def __getattr__(self, name: str) -> list[str] | None:
        # Templates written for a dict read errors.decision; unknown names are simply no error.
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def sentence(self) -> str:
        """Every problem on one line, for a flash message after a redirect."""
        return "; ".join(f"{e.label}: {e.message}" for e in self.items)

    def id_of(self, name: str) -> str:
        """The error message's id for the field's aria-describedby."""
        return f"err-{name.replace('.', '-')}"


def form_errors(exc: Exception, labels: Mapping[str, str] | None = None,
                ids: Mapping[str, str] | None = None, prefix: str = "f-") -> FormErrors:
    """The labelled problems of a refused form: a marshmallow ValidationError, a DomainError or bad arithmetic."""
    from marshmallow import ValidationError

    from .errors import DomainError

    if isinstance(exc, ValidationError):
        messages: Any = exc.normalized_messages()
    elif isinstance(exc, DomainError):
        messages = dict(exc.errors or {}) or {"_schema": [exc.message]}
    elif isinstance(exc, ValueError) and str(exc).split(" ", 1)[0] in (labels or {}):
        # The schedule maths names the argument first ("tenor_months must be ..."): file it under that field.
        name, _, rest = str(exc).partition(" ")
        messages = {name: [rest]}
    else:
        messages = {"_schema": ["Give amounts as numbers with at most two decimals, e.g. 12,500.00."]}
    return FormErrors(messages, labels, ids, prefix)


@dataclass(frozen=True)
class UploadProblem:
    """One problem of an uploaded CSV or Excel file: its spreadsheet row (None for the whole file), column, what."""

    row: int | None
    column: str
    problem: str


_ROW_KEY = re.compile(r"^row (\d+): (.+)$")


def upload_problems(errors: Mapping[str, Any]) -> list[UploadProblem]:
    """An upload's errors (keyed ``row 7: quantity`` or by field) as table lines: row, column, problem."""
    out: list[UploadProblem] = []
    for key, texts in flatten(errors).items():
        found = _ROW_KEY.match(key)
        row, column = (int(found.group(1)), found.group(2)) if found else (None, "the file" if key in ("file", "_schema") else key)
        column = _words(column.split(".")[-1])
        out.extend(UploadProblem(row, column, plain_message(t, column)) for t in texts)
    return out
