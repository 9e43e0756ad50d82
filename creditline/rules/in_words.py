"""A rulebook condition in words: ``main_improvement >= 0.2`` reads "improvement of the main indicator is
at least 20%".

The rulebook pages show each gate and scoring band to the SME it judges, so a condition is said the way
the plain-words page says its thresholds: facts by their catalogue description, shares as %, money with
the rulebook's currency, codes by their labels. A condition the phrasing does not cover (it is checked
and safe, just unusual) falls back to its text with each fact named in words, never to an error.
"""
from __future__ import annotations

import ast
import re

from ..vocabulary import label
from .facts import CATALOGUE

_COMPARISONS: dict[type, str] = {
    ast.Lt: "is under", ast.LtE: "is at most", ast.Gt: "is over", ast.GtE: "is at least",
    ast.Eq: "is", ast.NotEq: "is not", ast.In: "is one of", ast.NotIn: "is none of",
}
# ``0.1 < own_share`` is said from the fact's side: "own share is over 10%".
_MIRRORED: dict[type, type] = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE,
                               ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
# A rule's message names the value it will show as ``{fact}`` or ``{fact|fmt}``.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|[a-z]+)?\}")
_ARITHMETIC: dict[type, str] = {ast.Add: "plus", ast.Sub: "minus", ast.Mult: "times", ast.Div: "divided by"}


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def _fact(name: str) -> str:
    fact = CATALOGUE.get(name)
    return fact.description if fact else label(name).lower()


def _code(value: object) -> str:
    """A code inside a sentence: "commercial", "natural gas", but "LPG" and "NCPC" as written."""
    text = label(value)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _number(value: float, fmt: str, currency: str) -> str:
    if fmt == "pct":
        return _pct(value)
    if fmt == "money":
        return f"{value:,.0f} {currency}".strip()
    if fmt == "years":
        return f"{value:g} years"
    if fmt == "int":
        return f"{value:,.0f}"
    return f"{value:,g}"


def _constant(node: ast.expr, fmt: str, currency: str) -> str:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "yes" if node.value else "no"
        if isinstance(node.value, (int, float)):
            return _number(float(node.value), fmt, currency)
        return _code(node.value)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return ", ".join(_constant(e, fmt, currency) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return "minus " + _constant(node.operand, fmt, currency)
    return _say(node, currency)


def _format_of(node: ast.expr) -> str:
    """How the numbers compared with ``node`` read: a fact's own format, or the first fact's in arithmetic."""
    if isinstance(node, ast.Name) and node.id in CATALOGUE:
        return CATALOGUE[node.id].fmt
    if isinstance(node, ast.BinOp):
        return _format_of(node.left)
    if isinstance(node, ast.Call) and node.args:
        return _format_of(node.args[0])
    return "num"


def _compare(node: ast.Compare, currency: str) -> str:
    parts, left = [], node.left
    for op, right in zip(node.ops, node.comparators):
        if isinstance(left, ast.Constant) and isinstance(right, ast.Name) and isinstance(op, (ast.In, ast.NotIn)):
            # 'good_housekeeping' in cp_options: a set fact holds the code
            verb = "include" if isinstance(op, ast.In) else "do not include"
            parts.append(f"{_fact(right.id)} {verb} {_code(left.value)}")
        elif isinstance(left, ast.Constant) and not isinstance(right, ast.Constant) and type(op) in _MIRRORED:
            fmt = _format_of(right)
            parts.append(f"{_say(right, currency)} {_COMPARISONS[_MIRRORED[type(op)]]} {_constant(left, fmt, currency)}")
        else:
            fmt = _format_of(left)
            parts.append(f"{_say(left, currency)} {_COMPARISONS[type(op)]} {_constant(right, fmt, currency)}")
        left = right
    return " and ".join(parts)


def _call(node: ast.Call, currency: str) -> str:
    name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
    args = [_say(a, currency) for a in node.args]
    if name in ("min", "max"):
        return f"the {'smaller' if name == 'min' else 'larger'} of {' and '.join(args)}"
    if name == "abs" and args:
        return f"the size of {args[0]}"
    if name == "missing" and args:
        return f"{args[0]} is not known"
    if name in ("has_any", "has_all") and len(node.args) == 2:
        which = "any" if name == "has_any" else "all"
        return f"{args[0]} include {which} of {_constant(node.args[1], 'text', currency)}"
    return f"{name} of {' and '.join(args)}"


def _say(node: ast.expr, currency: str) -> str:
    if isinstance(node, ast.Name):
        return {"true": "always", "false": "never"}.get(node.id) or _fact(node.id)
    if isinstance(node, ast.Compare):
        return _compare(node, currency)
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        inner = [_say(v, currency) for v in node.values]
        # A nested and/or keeps its grouping: "a and (b or c)".
        return joiner.join(f"({t})" if isinstance(v, ast.BoolOp) else t for v, t in zip(node.values, inner))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        said = _say(node.operand, currency)
        return f"not {said}" if isinstance(node.operand, ast.Name) else f"not ({said})"
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return f"{_say(node.left, currency)} {_ARITHMETIC[type(node.op)]} {_say(node.right, currency)}"
    if isinstance(node, ast.Call):
        return _call(node, currency)
    return _constant(node, _format_of(node), currency)


def condition_in_words(text: str, currency: str = "") -> str:
    """The condition as a sentence fragment; its own text if it cannot be read (never raises)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _say(tree.body, currency)
    except (SyntaxError, KeyError, ValueError, RecursionError):
        return text


def message_in_words(template: str) -> str:
    """A rule's message before any proposal fills it: ``credit of {loan_amount}`` reads "credit of the loan requested"."""
    return _PLACEHOLDER.sub(lambda m: f"the {_fact(m.group(1))}", template)
