"""A kernel's scalar form: its own source, compiled once with ``o``'s operations written inline.

A kernel (``fn(o: Ops, *numbers)``, see :mod:`.array_ops`) runs on :data:`.array_ops.ARRAY` for a
batch and on :data:`.array_ops.SCALAR` for one proposal. On plain floats every ``o.where`` or
``o.div`` is a Python call that costs more than the arithmetic it guards, and the what-if makes a
few hundred of them per proposal. :func:`scalar_form` compiles the kernel's own source a second
time for :data:`SCALAR`, with those calls replaced by the expression :class:`.array_ops._Scalar`
evaluates (``o.where(t, a, b)`` becomes ``a if t else b``; ``o.div(a, b)`` becomes ``a / b`` with
numpy's answer for a zero divisor), the way a rule's condition is compiled to a scalar form from
the same parse as its numpy form. There is still one kernel: one text, checked by the same
property tests (``tests/unit/test_scalar_form.py`` holds each inlined operation to
``_Scalar``'s, ``tests/unit/test_scalar_kernel.py`` the scalar figures to the batch's).

A module's kernels are compiled together, into a copy of the module's namespace in which every
kernel name (its own, and those it imports) means the scalar form, so a kernel calling another
stays inline all the way down. Line numbers are kept: a traceback points at the kernel's source.
The copy is taken when the first scalar form of a module is asked for (after the imports).
"""
from __future__ import annotations

import __future__
import ast
import copy
import inspect
import itertools
import textwrap
from functools import partial, wraps
from types import FunctionType
from typing import Any, Callable, Protocol, cast

import numpy as np

from .array_ops import _CHAINS, ARRAY, SCALAR, Ops, _Scalar, chain_for

# Each inlined operation, as the expression _Scalar's method evaluates. A parameter written with a
# trailing 1 is where an argument is evaluated first; an argument used twice on one path, if it is
# not a plain name or constant, is kept in a local there (an assignment expression).
_INLINE: dict[str, tuple[tuple[str, ...], str]] = {
    "where": (("T", "Y", "N"), "(Y if T1 else N)"),
    "put": (("OUT", "M", "V"), "(V if M1 else OUT)"),
    "div": (("A", "B"), "(A / B if B1 else _scalar_div(A, B))"),
    "any": (("X",), "(True if X1 else False)"),
    "all": (("X",), "(True if X1 else False)"),
    "not_": (("X",), "(not X1)"),
    "full": (("LIKE", "V"), "V1"),
    "whole": (("X",), "int(X1)"),
    "isfinite": (("X",), "(X1 - X == 0)"),
    "is_whole": (("X",), "(X1 - X == 0 and X == int(X))"),
    # The builtins max and min (what _Scalar takes), as their comparisons: max(a, b) keeps a unless b > a.
    "maximum": (("A", "B"), "(B if B1 > A1 else A)"),
    "minimum": (("A", "B"), "(B if B1 < A1 else A)"),
    # _Scalar.squared_power without its own frame: the compiled chain of the exponent, called.
    "squared_power": (("B", "K"), "(_scalar_chains[K] if K1 in _scalar_chains else _scalar_chain_for(K))(B)"),
}
_TEMPLATES = {name: (params, ast.parse(text, mode="eval").body) for name, (params, text) in _INLINE.items()}
# Every other operation is _Scalar's own function, called straight (no attribute look-up on o); so is
# an inlined one where it cannot be inlined (inside a lambda or comprehension, see _Inline._inline).
_CALLED = ("pow", "floats", "sqrt", "floor", "rint", "popcount", "each_distinct", "interp", "integers",
           "nan_to_num", "clip", "once", *_TEMPLATES)
_HELPERS: dict[str, Any] = {f"_scalar_{name}": getattr(_Scalar, name) for name in _CALLED}
_HELPERS.update(_scalar_chains=_CHAINS, _scalar_chain_for=chain_for)


class _Inline(ast.NodeTransformer):
    """Rewrites ``o.<operation>(...)`` calls; ``o`` is the kernel's first parameter."""

    def __init__(self) -> None:
        self._names = itertools.count()
        self._scoped = 0  # inside a lambda or comprehension, where a local cannot be assigned

    def _scope(self, node: ast.AST) -> ast.AST:
        self._scoped += 1
        try:
            return self.generic_visit(node)
        finally:
            self._scoped -= 1

    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "o"):
            return node
        plain = not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
        if f.attr == "rows" and plain:
            new: ast.expr = ast.Tuple(elts=node.args[1:], ctx=ast.Load())
        elif f.attr in _TEMPLATES and plain and len(node.args) == len(_TEMPLATES[f.attr][0]):
            new = self._inline(f.attr, node.args)
        elif f.attr in _CALLED:
            new = ast.Call(func=ast.Name(id=f"_scalar_{f.attr}", ctx=ast.Load()), args=node.args,
                           keywords=node.keywords)
        else:
            return node  # not an operation this knows: o's own method, as before
        return ast.copy_location(new, node)

    def _inline(self, name: str, args: list[ast.expr]) -> ast.expr:
        params, template = _TEMPLATES[name]
        body = copy.deepcopy(template)
        given: dict[str, tuple[ast.expr, ast.expr]] = {}  # parameter: (first use, later uses)
        for p, arg in zip(params, args):
            if isinstance(arg, (ast.Name, ast.Constant)) or not _used_twice(template, p):
                given[p] = (arg, arg)
            elif self._scoped:
                return ast.Call(func=ast.Name(id=f"_scalar_{name}", ctx=ast.Load()), args=args, keywords=[])
            else:
                local = f"_scalar_{next(self._names)}"
                given[p] = (ast.NamedExpr(target=ast.Name(id=local, ctx=ast.Store()), value=arg),
                            ast.Name(id=local, ctx=ast.Load()))
        return cast(ast.expr, _Substitute(given).visit(body))


def _used_twice(template: ast.expr, param: str) -> bool:
    """Evaluated twice on one path: marked where first used (a parameter on two exclusive paths is not)."""
    names = [n.id for n in ast.walk(template) if isinstance(n, ast.Name) and n.id.rstrip("1") == param]
    return len(names) > 1 and param + "1" in names


class _Substitute(ast.NodeTransformer):
    def __init__(self, given: dict[str, tuple[ast.expr, ast.expr]]):
        self._given = given

    def visit_Name(self, node: ast.Name) -> ast.AST:
        param = node.id.rstrip("1")
        if param not in self._given:
            return node
        first, later = self._given[param]
        return copy.deepcopy(first if node.id.endswith("1") else later)


def _is_kernel(value: Any) -> bool:
    """A function whose first parameter is ``o: Ops``."""
    if not isinstance(value, FunctionType):
        return False
    code = value.__code__
    return code.co_argcount >= 1 and code.co_varnames[0] == "o" and value.__annotations__.get("o") in ("Ops", Ops)


_FORMS: dict[Callable[..., Any], Callable[..., Any]] = {}
_SPACES: dict[str, dict[str, Any]] = {}


def scalar_form(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled for :data:`SCALAR` (call it with ``SCALAR`` as ``o``, as ``fn`` itself)."""
    form = _FORMS.get(fn)
    if form is None:
        _compile_module(cast(FunctionType, fn).__globals__)
        form = _FORMS[fn]
    return form


def _compile_module(module: dict[str, Any]) -> None:
    name = module["__name__"]
    if name in _SPACES:
        return
    space = _SPACES[name] = {**module, **_HELPERS}
    own = {key: fn for key, fn in module.items() if _is_kernel(fn) and fn.__module__ == name}
    for key, fn in own.items():
        space[key] = _FORMS[fn] = _compile(fn, space)
    for key, value in module.items():  # kernels imported from another module: their scalar forms
        if key not in own and _is_kernel(value):
            space[key] = scalar_form(value)


def _compile(fn: FunctionType, space: dict[str, Any]) -> Callable[..., Any]:
    lines, first = inspect.getsourcelines(fn)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef), fn
    definition.decorator_list = []
    tree = ast.fix_missing_locations(_Inline().visit(tree))
    ast.increment_lineno(tree, first - 1)
    code = compile(tree, inspect.getsourcefile(fn) or fn.__code__.co_filename, "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, space)  # noqa: S102 - the kernel's own source, from its own file
    form: Callable[..., Any] = space[definition.name]
    return form


class Kernel(Protocol):
    """A kernel's public face (see :func:`kernel`)."""

    def __call__(self, *numbers: Any, **options: Any) -> Any: ...

    # The scalar form straight away, for a caller that already holds plain floats (the what-if's
    # derivation, a dozen calls per proposal): no look at the numbers, no conversion.
    scalar: Callable[..., Any]


def kernel(fn: Callable[..., Any]) -> Kernel:
    """The public face of a kernel ``fn(o, *numbers, **options)``: it picks ``o`` from the numbers.

    Given any array (or list), every number becomes a float array of one shape and the kernel
    runs on :data:`ARRAY`, with numpy's floating-point warnings off (infinities and NaN are
    answers here: no payback, no IRR); given plain numbers, floats through its scalar form.
    Kernels call each other's undecorated ``fn`` with their own ``o``, so the choice is made once.
    """
    @wraps(fn)
    def run(*numbers: Any, **options: Any) -> Any:
        for x in numbers:
            if type(x) is not float and isinstance(x, (np.ndarray, list)):
                with np.errstate(all="ignore"):
                    return fn(ARRAY, *ARRAY.floats(*numbers), **options)
        return run.scalar(*map(float, numbers), **options)  # type: ignore[attr-defined]

    def first(*numbers: Any, **options: Any) -> Any:
        # Compiled on first use, once the kernel's module (and what it imports) is whole.
        run.scalar = partial(scalar_form(fn), SCALAR)  # type: ignore[attr-defined]
        return run.scalar(*numbers, **options)  # type: ignore[attr-defined]
    run.scalar = first  # type: ignore[attr-defined]
    return cast(Kernel, run)
