"""The rulebooks' condition language: a small, safe, vectorised expression language.

Conditions read like Python comparisons (``loan_amount >= 10000 and main_improvement > 0.3``)
and are parsed with :mod:`ast`, but never evaluated by Python. Only the nodes listed here are
accepted: names of known facts, number and text constants, lists of constants, arithmetic
``+ - * /``, comparisons, ``and or not``, ``in``/``not in`` and a few named functions. There
is no attribute access, indexing, call of anything else, power operator, comprehension or
lambda, so a rule cannot import, open a file, reach an object's internals, or loop; the text
length and node count are capped so a rule cannot be made slow to parse either.

Every expression is type-checked at load time (number, bool, text, set) so a rulebook with
``employees > "ten"`` is refused with a message naming the rule, not at scoring time. The
checked tree is compiled twice from the one parse: to a numpy evaluator over arrays (one value per
proposal, the batch path) and to a Python code object over plain values (one proposal, the what-if
path, where numpy's per-call cost would dominate). Both follow numpy's semantics (a division by zero
gives inf or NaN, ``min``/``max`` skip NaN), and a property test holds them to the same answers.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..finance.array_ops import _div

MAX_LENGTH = 500
MAX_NODES = 120

NUM, BOOL, TEXT, SET = "number", "bool", "text", "set"

Evaluator = Callable[[dict[str, Any]], Any]


class ExpressionError(ValueError):
    """A condition that is not allowed or does not type-check."""


@dataclass
class Compiled:
    """A checked expression: its text, type, the facts it reads and the evaluator."""

    text: str
    kind: str
    names: tuple[str, ...]
    run: Evaluator
    one: Evaluator  # the same expression over one proposal's plain values (floats, str, int masks)
    # For a plain ``fact OP number`` comparison, (fact, op, number): what hints can invert.
    comparisons: list[tuple[str, str, float]] = field(default_factory=list)
    source: str = "True"  # the scalar form's Python source over ``F`` (see :func:`scalar_program`)

    def evaluate(self, facts: dict[str, Any]) -> Any:
        """Evaluate over the facts (arrays of one value per proposal)."""
        with np.errstate(all="ignore"):
            return self.run(facts)


_COMPARE: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", np.less), ast.LtE: ("<=", np.less_equal), ast.Gt: (">", np.greater),
    ast.GtE: (">=", np.greater_equal), ast.Eq: ("==", np.equal), ast.NotEq: ("!=", np.not_equal),
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
}


def _const(value: Any) -> tuple[str, Evaluator]:
    if isinstance(value, bool):
        return BOOL, lambda f: value
    if isinstance(value, (int, float)):
        # Checked at load: a 400-digit literal or 1e400 would overflow or be infinite at scoring time.
        try:
            number = float(value)
        except OverflowError:
            raise ExpressionError(f"the number {str(value)[:20]}… is too large") from None
        if not np.isfinite(number):
            raise ExpressionError(f"the number {value!r} is not finite")
        return NUM, lambda f: number
    if isinstance(value, str):
        return TEXT, lambda f: value
    raise ExpressionError(f"constant {value!r} is not a number, text or true/false")


class _Compiler:
    def __init__(self, fact_types: dict[str, str], sets: dict[str, tuple[str, ...]]):
        self.fact_types = fact_types
        self.sets = sets
        self.names: list[str] = []
        self.comparisons: list[tuple[str, str, float]] = []

    def compile(self, node: ast.AST) -> tuple[str, Evaluator]:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in a condition")
        return method(node)

    def _Expression(self, node: ast.Expression) -> tuple[str, Evaluator]:
        return self.compile(node.body)

    def _Constant(self, node: ast.Constant) -> tuple[str, Evaluator]:
        return _const(node.value)

    def _Name(self, node: ast.Name) -> tuple[str, Evaluator]:
        if node.id in ("true", "True"):
            return BOOL, lambda f: True
        if node.id in ("false", "False"):
            return BOOL, lambda f: False
        kind = self.fact_types.get(node.id)
        if kind is None:
            raise ExpressionError(f"unknown fact '{node.id}' (`flask rules facts` lists them)")
        name = node.id
        self.names.append(name)
        return kind, lambda f: f[name]

    def _BoolOp(self, node: ast.BoolOp) -> tuple[str, Evaluator]:
        parts = [self._bool(v) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def run(f: dict[str, Any]) -> Any:
            out = parts[0](f)
            for p in parts[1:]:
                out = combine(out, p(f))
            return out
        return BOOL, run

    def _bool(self, node: ast.AST) -> Evaluator:
        kind, run = self.compile(node)
        if kind != BOOL:
            raise ExpressionError(f"'{ast.unparse(node)}' is a {kind}, not a true/false test")
        return run

    def _num(self, node: ast.AST) -> Evaluator:
        kind, run = self.compile(node)
        if kind != NUM:
            raise ExpressionError(f"'{ast.unparse(node)}' is a {kind}, not a number")
        return run

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[str, Evaluator]:
        if isinstance(node.op, ast.Not):
            inner = self._bool(node.operand)
            return BOOL, lambda f: np.logical_not(inner(f))
        if isinstance(node.op, ast.USub):
            inner = self._num(node.operand)
            return NUM, lambda f: np.negative(inner(f))
        raise ExpressionError(f"operator '{ast.unparse(node)}' is not allowed")

    def _BinOp(self, node: ast.BinOp) -> tuple[str, Evaluator]:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator in '{ast.unparse(node)}' is not allowed (use + - * /)")
        left, right = self._num(node.left), self._num(node.right)
        return NUM, lambda f: op(left(f), right(f))

    def _Compare(self, node: ast.Compare) -> tuple[str, Evaluator]:
        if len(node.ops) != 1:
            # a < b < c: split into (a < b) and (b < c), each checked on its own.
            pairs: list[ast.expr] = [ast.Compare(left=lhs, ops=[o], comparators=[rhs]) for lhs, o, rhs in
                     zip([node.left, *node.comparators[:-1]], node.ops, node.comparators)]
            return self._BoolOp(ast.BoolOp(op=ast.And(), values=pairs))
        op, right_node = node.ops[0], node.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)):
            return self._membership(node.left, right_node, negate=isinstance(op, ast.NotIn))
        symbol, fn = _COMPARE.get(type(op), (None, None))
        if fn is None:
            raise ExpressionError(f"comparison in '{ast.unparse(node)}' is not allowed")
        lkind, left = self.compile(node.left)
        rkind, right = self.compile(right_node)
        if lkind != rkind:
            raise ExpressionError(f"'{ast.unparse(node)}' compares a {lkind} with a {rkind}")
        if lkind == SET:
            raise ExpressionError(f"use has_any or has_all to test '{ast.unparse(node.left)}'")
        if lkind == TEXT and symbol not in ("==", "!="):
            raise ExpressionError(f"text can only be compared with == or != in '{ast.unparse(node)}'")
        if (isinstance(node.left, ast.Name) and node.left.id in self.fact_types
                and isinstance(right_node, ast.Constant) and lkind == NUM):
            self.comparisons.append((node.left.id, str(symbol), float(right_node.value)))  # type: ignore[arg-type]
        return BOOL, lambda f: fn(left(f), right(f))

    def _constant_list(self, node: ast.AST) -> list[Any]:
        if not isinstance(node, (ast.List, ast.Tuple)) or not all(isinstance(e, ast.Constant) for e in node.elts):
            raise ExpressionError(f"'{ast.unparse(node)}' must be a list of constants like [\"a\", \"b\"]")
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]

    def _membership(self, left_node: ast.AST, right_node: ast.AST, negate: bool) -> tuple[str, Evaluator]:
        kind, left = self.compile(left_node)
        values = self._constant_list(right_node)
        if kind not in (TEXT, NUM):
            raise ExpressionError(f"'in' needs a text or number on the left, not a {kind}")
        if kind == TEXT and not all(isinstance(v, str) for v in values):
            raise ExpressionError(f"the list in '{ast.unparse(right_node)}' must hold text")
        if kind == NUM:
            for v in values:
                if _const(v)[0] != NUM:  # also refuses 1e400 and 400-digit literals
                    raise ExpressionError(f"the list in '{ast.unparse(right_node)}' must hold numbers, not {v!r}")
        allowed = np.array(values, dtype=object if kind == TEXT else float)

        def run(f: dict[str, Any]) -> Any:
            hit = np.isin(np.asarray(left(f), dtype=object if kind == TEXT else float), allowed)
            return np.logical_not(hit) if negate else hit
        return BOOL, run

    def _Call(self, node: ast.Call) -> tuple[str, Evaluator]:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ExpressionError(f"'{ast.unparse(node)}' is not an allowed function call")
        name = node.func.id
        if name in ("has_any", "has_all"):
            return self._set_test(node, all_=name == "has_all")
        if name in ("min", "max") and len(node.args) >= 2:
            args = [self._num(a) for a in node.args]
            fn = np.fmin if name == "min" else np.fmax

            def run(f: dict[str, Any]) -> Any:
                out = args[0](f)
                for a in args[1:]:
                    out = fn(out, a(f))
                return out
            return NUM, run
        if name == "abs" and len(node.args) == 1:
            arg = self._num(node.args[0])
            return NUM, lambda f: np.abs(arg(f))
        if name == "missing" and len(node.args) == 1:
            arg = self._num(node.args[0])
            return BOOL, lambda f: np.isnan(np.asarray(arg(f), dtype=float))
        raise ExpressionError(f"unknown function '{name}' (allowed: has_any, has_all, min, max, abs, missing)")

    def _set_test(self, node: ast.Call, all_: bool) -> tuple[str, Evaluator]:
        if len(node.args) != 2 or not isinstance(node.args[0], ast.Name):
            raise ExpressionError(f"write {ast.unparse(node.func)}(set_name, [\"a\", \"b\"])")
        set_name = node.args[0].id
        if self.fact_types.get(set_name) != SET:
            raise ExpressionError(f"'{set_name}' is not a set (sets: {', '.join(sorted(self.sets))})")
        vocabulary = self.sets[set_name]
        values = self._constant_list(node.args[1])
        unknown = [v for v in values if v not in vocabulary]
        if unknown:
            raise ExpressionError(f"{', '.join(map(str, unknown))} not known in {set_name}")
        mask = 0
        for v in values:
            mask |= 1 << vocabulary.index(v)
        self.names.append(set_name)
        if all_:
            return BOOL, lambda f: (np.asarray(f[set_name], dtype=np.int64) & mask) == mask
        return BOOL, lambda f: (np.asarray(f[set_name], dtype=np.int64) & mask) != 0


def compile_expression(text: Any, fact_types: dict[str, str], sets: dict[str, tuple[str, ...]],
                       want: str | None = BOOL) -> Compiled:
    """Parse and type-check ``text``; raise :class:`ExpressionError` with a plain reason."""
    if isinstance(text, bool) or isinstance(text, (int, float)):
        text = str(text).lower() if isinstance(text, bool) else str(text)
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("a condition must be non-empty text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"a condition is limited to {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read '{text}': {exc.msg}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"a condition is limited to {MAX_NODES} parts")
    compiler = _Compiler(fact_types, sets)
    kind, run = compiler.compile(tree)
    if want is not None and kind != want:
        raise ExpressionError(f"'{text}' gives a {kind}, a {want} is needed")
    source = _source(tree, sets)
    return Compiled(text=text.strip(), kind=kind, names=tuple(dict.fromkeys(compiler.names)), run=run,
                    one=scalar_program(source), comparisons=compiler.comparisons, source=source)


# --- the same checked tree over one proposal's plain values ----------------------------------------

def _fmin(a: float, b: float) -> float:
    """``np.fmin``: NaN only when both are NaN."""
    return b if a != a else a if b != b or a <= b else b


def _fmax(a: float, b: float) -> float:
    """``np.fmax``: NaN only when both are NaN."""
    return b if a != a else a if b != b or a >= b else b


_SCALAR_GLOBALS = {"__builtins__": {}, "_div": _div, "_fmin": _fmin, "_fmax": _fmax, "abs": abs}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITH_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


def _source(node: ast.AST, sets: dict[str, tuple[str, ...]]) -> str:
    """Python source over ``F`` (the facts of one proposal) for a tree the compiler has accepted."""
    def src(n: ast.AST) -> str:
        return _source(n, sets)
    if isinstance(node, ast.Expression):
        return src(node.body)
    if isinstance(node, ast.Constant):
        value = node.value
        return repr(value) if isinstance(value, (bool, str)) else repr(float(value))  # type: ignore[arg-type]
    if isinstance(node, ast.Name):
        return {"true": "True", "True": "True", "false": "False", "False": "False"}.get(node.id, f"F[{node.id!r}]")
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + word.join(src(v) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        return f"(not {src(node.operand)})" if isinstance(node.op, ast.Not) else f"(-{src(node.operand)})"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div):
            return f"_div({src(node.left)}, {src(node.right)})"
        return f"({src(node.left)} {_ARITH_SYMBOL[type(node.op)]} {src(node.right)})"
    if isinstance(node, ast.Compare):
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                values = tuple(e.value if isinstance(e.value, str) else float(e.value)
                               for e in right.elts)  # type: ignore[attr-defined]
                parts.append(f"({src(left)} {'not in' if isinstance(op, ast.NotIn) else 'in'} {values!r})")
            else:
                parts.append(f"({src(left)} {_SYMBOL[type(op)]} {src(right)})")
            left = right
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, args = node.func.id, node.args
        if name in ("has_any", "has_all"):
            set_name = args[0].id  # type: ignore[attr-defined]
            mask = 0
            for e in args[1].elts:  # type: ignore[attr-defined]
                mask |= 1 << sets[set_name].index(e.value)
            return f"((F[{set_name!r}] & {mask}) {'==' if name == 'has_all' else '!='} {mask if name == 'has_all' else 0})"
        if name in ("min", "max"):
            out = src(args[0])
            for a in args[1:]:
                out = f"{'_fmin' if name == 'min' else '_fmax'}({out}, {src(a)})"
            return out
        if name == "abs":
            return f"abs({src(args[0])})"
        if name == "missing":
            return f"(({src(args[0])}) != ({src(args[0])}))"
    raise ExpressionError(f"'{ast.unparse(node)}' has no scalar form")  # unreachable after the checks


def scalar_evaluator(tree: ast.AST, sets: dict[str, tuple[str, ...]]) -> Evaluator:
    """Compile a checked tree to a function of one proposal's facts (a dict of plain values)."""
    return scalar_program(_source(tree, sets))


def scalar_program(source: str) -> Evaluator:
    """The function ``F -> source``, for one condition's :attr:`Compiled.source` or several combined.

    The source is generated from the accepted nodes only (names become ``F['name']``, constants
    their ``repr``; a rulebook's conditions are joined only with ``( , ) if else`` and integer
    literals), and runs without builtins, so it can do no more than the numpy evaluator.
    """
    code = compile(f"lambda F: {source}", "<rule>", "eval")
    return eval(code, dict(_SCALAR_GLOBALS))  # noqa: S307 - source built from checked trees only
