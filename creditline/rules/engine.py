"""The rules engine's public face: assess one proposal, assess many, score a batch of rows.

``assess_batch`` runs the vectorised evaluation over many proposals; ``assess`` (the what-if and
every stored assessment) runs the scalar kernel compiled from the same rules (a batch of one
without numpy's per-call cost). Both build their result from an :class:`Evaluation` through
:func:`result_of`, so a proposal gets the same decision, scores, metrics and trace alone as
inside a batch of 100,000; ``tests/unit/test_scalar_kernel.py`` says so.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ..finance.money import format_money, to_money
from ..vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAM_UNITS, STREAMS
from .costs import CostSplit, disagreement, split_costs
from .derivation import AMOUNTS
from .evaluation import Evaluation, evaluate, failed_rules
from .evaluation_one import evaluated_one, outcome_one
from .explain import hints, trace
from .facts import columns, improvement_table
from .facts import values_of
from .result_figures import DIGITS, IMPROVEMENT_DIGITS, SPECIFIC_DIGITS, TONNE, TONNE_DIGITS
from .loader import Rulebook

DIMENSIONS = ("technical", "economic", "environmental")


def _f(value: Any, digits: int) -> float | None:
    v = float(value)
    return round(v, digits) if v - v == 0 else None  # None for inf and NaN


def _money(value: Any) -> Decimal | None:
    v = float(value)
    if v - v != 0:
        return None
    # Below 1e13 (15 significant digits at most) the correctly rounded two-place text is exactly
    # what to_money(round(v, 2)) gives, without its detour through repr and quantize.
    return Decimal(f"{v:.2f}") if abs(v) < 1e13 else to_money(round(v, 2))


def _tonnes(value: Any) -> Decimal:
    """``to_money(round(v, 3), TONNE)``: below 1e12 (15 significant digits) its three-place text, as :func:`_money`."""
    v = float(value)
    return Decimal(f"{v:.3f}") if abs(v) < 1e12 else to_money(round(v, TONNE_DIGITS), TONNE)


def metrics_of(ev: Evaluation, i: int) -> dict[str, Any]:
    """Finance and environmental metrics of row ``i`` (design §5 shape)."""
    f = ev.facts
    table = improvement_table(ev.cols, i)
    improvement = {s: round(v["improvement"], IMPROVEMENT_DIGITS) for s, v in table.items()}
    d = DIGITS
    grant = _money(f["grant_amount"][i])
    return {
        "npv": _money(f["npv"][i]), "irr": _f(f["irr"][i], d["irr"]),
        "simple_payback_years": _f(f["simple_payback_years"][i], d["simple_payback_years"]),
        "discounted_payback_years": _f(f["discounted_payback_years"][i], d["discounted_payback_years"]),
        "benefit_cost_ratio": _f(f["benefit_cost_ratio"][i], d["benefit_cost_ratio"]),
        "debt_service_coverage": _f(f["dscr"][i], d["dscr"]),
        "with_grant": {"grant_amount": grant, "npv": _money(f["npv_with_grant"][i]),
                       "irr": _f(f["irr_with_grant"][i], d["irr_with_grant"]),
                       "simple_payback_years": _f(f["simple_payback_with_grant"][i], d["simple_payback_with_grant"])},
        "specific_consumption": {s: {"baseline": round(v["baseline_specific"], SPECIFIC_DIGITS),
                                     "projected": round(v["projected_specific"], SPECIFIC_DIGITS)}
                                 for s, v in table.items()},
        "improvement": improvement, "main_improvement": _f(f["main_improvement"][i], d["main_improvement"]),
        "worse": sorted(s for s, v in improvement.items() if v < 0),
        "co2e_avoided_t_per_year": _tonnes(f["co2e_avoided_t"][i]),
        "grant_band": {"rate": _f(f["grant_rate"][i], d["grant_rate"]), "amount": grant,
                       "basis": ev.book.grant_bands["basis"]},
    }


def _documents_missing(ev: Evaluation, i: int) -> list[str]:
    have = int(ev.facts["documents"][i])
    kinds = tuple(DOCUMENT_KINDS)
    return [d["kind"] for d in ev.book.documents if d["required"] and not have & (1 << kinds.index(d["kind"]))]


def result_of(ev: Evaluation, i: int, explain: bool = True) -> dict[str, Any]:
    """The assessment of row ``i``: decision, scores, metrics and (when asked) trace and hints."""
    scores = {k: int(v[i]) for k, v in ev.scores.items()}
    out: dict[str, Any] = {
        "decision": str(ev.decision[i]), "rulebook": ev.book.ref, "scores": scores,
        "metrics": metrics_of(ev, i), "failed_rules": failed_rules(ev, i),
        "fast_track": str(ev.fast_track_class[i]) or None,
        "documents_missing": _documents_missing(ev, i),
    }
    if explain:
        out["trace"] = trace(ev, i)
        weak = out["decision"] != "eligible" or min(scores[d] for d in DIMENSIONS) < 60
        out["hints"] = hints(ev, i) if weak else []
    return out


def _vary(cols: dict[str, np.ndarray], book: Rulebook, factor: str, change: float) -> dict[str, np.ndarray]:
    varied = dict(cols)
    if factor == "annual_savings":
        varied["annual_savings"] = cols["annual_savings"] * (1 + change)
    elif factor == "investment":
        varied["investment"] = cols["investment"] * (1 + change)
    elif factor == "energy_prices":
        # Dearer energy moves the share of the savings that comes from energy.
        share = book.finance["energy_share_of_savings"]
        varied["annual_savings"] = cols["annual_savings"] * (1 + change * share)
    return varied


def sensitivity(book: Rulebook, cols: dict[str, np.ndarray]) -> list[list[dict[str, Any]]]:
    """For each proposal: the decision and economics with each factor moved by each step."""
    n = len(cols["investment"])
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for factor in book.sensitivity["factors"]:
        for change in book.sensitivity["steps"]:
            ev = evaluate(book, _vary(cols, book, factor, float(change)))
            for i in range(n):
                out[i].append({"factor": factor, "change": float(change), "decision": str(ev.decision[i]),
                               "npv": _money(ev.facts["npv"][i]), "irr": _f(ev.facts["irr"][i], DIGITS["irr"]),
                               "simple_payback_years": _f(ev.facts["simple_payback_years"][i], DIGITS["simple_payback_years"]),
                               "total": int(ev.scores["total"][i])})
    return out


def with_cost_items(book: Rulebook, row: dict[str, Any]) -> tuple[dict[str, Any], CostSplit | None]:
    """The row with its eligible cost derived from its cost items (unchanged when it has none)."""
    items = row.get("cost_items")
    if not items:
        return row, None
    split = split_costs(items, book.eligible_costs, f"{book.id} {book.version}")
    return {**row, "eligible_cost": split.eligible_total}, split


def _cost_trace(book: Rulebook, split: CostSplit) -> dict[str, Any]:
    money = lambda v: format_money(v, book.currency)  # noqa: E731
    message = f"eligible cost {money(split.eligible_total)}: the sum of {len(split.counted)} eligible item(s)"
    if split.excluded:
        message += "; left out: " + "; ".join(
            f"{x['category'].replace('_', ' ')}{' (' + x['description'] + ')' if x['description'] else ''} "
            f"{money(x['amount'])}, because {x['reason']}" for x in split.excluded)
    return {"rule": "eligible-costs", "kind": "info", "outcome": "info", "points": 0, "message": message,
            "inputs": {"eligible_categories": list(book.eligible_costs)}}


def _with_costs(book: Rulebook, result: dict[str, Any], split: CostSplit | None, explain: bool) -> None:
    if split is not None:
        result["eligible_costs"] = {"total": split.eligible_total, "counted": split.counted,
                                    "excluded": split.excluded}
        if explain:
            result["trace"].insert(0, _cost_trace(book, split))


def assess_batch(book: Rulebook, rows: list[dict[str, Any]], explain: bool = True,
                 with_sensitivity: bool = True) -> list[dict[str, Any]]:
    """Assess many proposal rows (already valid) in one vectorised evaluation."""
    if not rows:
        return []
    prepared = [with_cost_items(book, r) for r in rows]
    cols = columns([r for r, _ in prepared])
    ev = evaluate(book, cols)
    results = [result_of(ev, i, explain) for i in range(ev.n)]
    for r, (_, split) in zip(results, prepared):
        _with_costs(book, r, split, explain)
    if with_sensitivity:
        for r, s in zip(results, sensitivity(book, cols)):
            r["sensitivity"] = s
    return results


_SENSITIVITY_FACTS = frozenset(("npv", "irr", "simple_payback_years"))


def sensitivity_one(book: Rulebook, values: dict[str, Any], facts: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`sensitivity` of one proposal (its values and unvaried facts), through the scalar evaluation."""
    out = []
    # A step is a function of the amounts it varies: steps that land on the same amounts (energy
    # prices moving the whole of the savings, as where the energy share is 1) are scored once.
    lines: dict[tuple[Any, Any], dict[str, Any]] = {}
    irr_digits, payback_digits = DIGITS["irr"], DIGITS["simple_payback_years"]
    # A step reads only the amounts of its values, and is derived into one scratch copy of the
    # facts (each step writes afresh every fact the amounts touch).
    amounts_only = {k: values[k] for k in AMOUNTS}
    scratch = dict(facts)
    for factor in book.sensitivity["factors"]:
        for change in book.sensitivity["steps"]:
            varied = _vary(amounts_only, book, factor, float(change))
            amounts = (varied["investment"], varied["annual_savings"])
            line = lines.get(amounts)
            if line is None:
                stepped, decision, scores = outcome_one(book, varied, _SENSITIVITY_FACTS, scratch, in_place=True)
                line = lines[amounts] = {
                    "decision": decision, "npv": _money(stepped["npv"]), "irr": _f(stepped["irr"], irr_digits),
                    "simple_payback_years": _f(stepped["simple_payback_years"], payback_digits),
                    "total": scores["total"]}
            out.append({"factor": factor, "change": float(change), **line})
    return out


def assess(book: Rulebook, row: dict[str, Any], explain: bool = True, with_sensitivity: bool = True) -> dict[str, Any]:
    """Assess one proposal: exactly what :func:`assess_batch` gives it, through the scalar kernel.

    The rules and facts are the batch's own (each condition compiled to both forms from one
    parse; the finance maths is the one kernel of :mod:`creditline.finance.metrics`, run on
    floats), and ``tests/unit/test_scalar_kernel.py`` holds both to equality.
    """
    row, split = with_cost_items(book, row)
    values = values_of(row)
    ev, facts = evaluated_one(book, values)
    result = result_of(ev, 0, explain)
    _with_costs(book, result, split, explain)
    if with_sensitivity:
        result["sensitivity"] = sensitivity_one(book, values, facts)
    return result


def _number(row: dict[str, Any], key: str, errors: dict[str, list[str]], where: str | None = None,
            required: bool = True, positive: bool = False, allow_zero: bool = True) -> Decimal | None:
    value = row.get(key)
    name = where or key
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append("required")
        return None
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(f"not a number: {value!r}")
        return None
    if number < 0 or (positive and number == 0) or (not allow_zero and number == 0):
        errors.setdefault(name, []).append("must be more than zero" if positive or not allow_zero
                                            else "cannot be negative")
    return number


def validate_proposal_row(row: dict[str, Any]) -> dict[str, list[str]]:
    """Every reason a proposal row cannot be scored, by field (empty when it can)."""
    errors: dict[str, list[str]] = {}
    investment = _number(row, "investment", errors, positive=True)
    loan = _number(row, "loan_amount", errors, positive=True)
    eligible = _number(row, "eligible_cost", errors, required=False)
    _number(row, "own_contribution", errors, required=False)
    _number(row, "annual_savings", errors)
    _number(row, "annual_extra_operating_cost", errors, required=False)
    life = _number(row, "economic_life_years", errors, positive=True)
    if life is not None and life != life.to_integral_value():
        errors.setdefault("economic_life_years", []).append("give whole years")
    if investment is not None and loan is not None and loan > investment:
        errors.setdefault("loan_amount", []).append(f"the loan {loan} cannot be larger than the investment {investment}")
    if investment is not None and eligible is not None and eligible > investment:
        errors.setdefault("eligible_cost", []).append("the eligible cost cannot exceed the investment")
    unknown = [o for o in row.get("cp_options") or [] if o not in CP_OPTIONS]
    if unknown:
        errors["cp_options"] = [f"unknown option type {', '.join(map(str, unknown))} (known: {', '.join(CP_OPTIONS)})"]
    if not row.get("cp_options"):
        errors.setdefault("cp_options", []).append("choose at least one cleaner-production option type")
    bad_docs = [d for d in row.get("documents") or [] if d not in DOCUMENT_KINDS]
    if bad_docs:
        errors["documents"] = [f"unknown document kind {', '.join(map(str, bad_docs))}"]
    indicators = row.get("indicators") or []
    if not indicators:
        errors["indicators"] = ["add at least one indicator"]
    seen: set[str] = set()
    for n, ind in enumerate(indicators):
        where = f"indicators.{n}"
        stream = ind.get("stream")
        if stream not in STREAMS:
            errors[f"{where}.stream"] = [f"unknown indicator {stream!r} (known: {', '.join(STREAMS)})"]
            continue
        if stream in seen:
            errors[f"{where}.stream"] = [f"{stream} is listed twice"]
        seen.add(stream)
        if ind.get("unit") not in (None, "", STREAM_UNITS[stream]):
            errors[f"{where}.unit"] = [f"{stream} is measured in {STREAM_UNITS[stream]}, not {ind.get('unit')}"]
        _number(ind, "baseline_quantity", errors, f"{where}.baseline_quantity", positive=True)
        _number(ind, "baseline_output", errors, f"{where}.baseline_output", positive=True)
        _number(ind, "projected_quantity", errors, f"{where}.projected_quantity")
        _number(ind, "projected_output", errors, f"{where}.projected_output", positive=True)
    main = row.get("main_indicator")
    if not main:
        errors.setdefault("main_indicator", []).append("choose the main indicator")
    elif indicators and main not in seen:
        errors.setdefault("main_indicator", []).append(f"the main indicator {main} is not in the indicator table")
    ent = row.get("enterprise") or {}
    for key in ("employees", "annual_turnover", "total_assets", "domestic_ownership_share"):
        _number(ent, key, errors, f"enterprise.{key}", required=False)
    return errors


def cost_problems(book: Rulebook, row: dict[str, Any]) -> dict[str, list[str]]:
    """Cost items that contradict a stated eligible cost, or whose eligible sum exceeds the investment."""
    _, split = with_cost_items(book, row)
    if split is None:
        return {}
    problems: dict[str, list[str]] = {}
    reason = disagreement(row.get("eligible_cost"), split)
    if reason:
        problems["eligible_cost"] = [reason]
    investment = _number(row, "investment", {}, required=False)
    if investment is not None and split.eligible_total > investment:
        # Submission refuses an eligible cost above the investment; scoring must refuse it too.
        problems["cost_items"] = [f"the eligible cost items add up to {split.eligible_total}, more than the "
                                  f"investment {investment}"]
    return problems


_PLAIN = frozenset((str, int, bool, type(None)))


def to_json(value: Any) -> Any:
    """Make a result JSON-ready: Decimals as strings, numbers as plain numbers, NaN as null."""
    kind = type(value)
    # A result holds thousands of plain values: answer those before the isinstance chain.
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {k: to_json(v) for k, v in value.items()}
    if kind is list:
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
