"""Plain-words explanations: the trace line of every rule, and what would change the outcome."""
from __future__ import annotations

import math
import re
from typing import Any, Iterator

import numpy as np

from ..finance.metrics import annuity_factor
from ..finance.money import format_money
from .evaluation import Evaluation
from .facts import CATALOGUE
from .in_words import condition_in_words
from .loader import DIMENSIONS

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([a-z]+))?\}")


def show(value: Any, fmt: str, currency: str) -> str:
    """A fact's value as people read it."""
    if isinstance(value, str):
        return value or "none"
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    value = float(value)
    if fmt == "money":
        return format_money(round(value, 2), currency)
    if fmt == "pct":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if fmt == "years":
        return f"{value:.1f} years"
    if fmt == "int":
        return f"{value:,.0f}"
    if fmt == "ratio":
        return f"{value:.2f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def value_of(ev: Evaluation, name: str, i: int) -> Any:
    v = ev.facts[name][i]
    return v if isinstance(v, str) else (v.item() if hasattr(v, "item") else v)


def render(template: str, ev: Evaluation, i: int, extra: dict[str, str] | None = None) -> str:
    """Fill ``{fact}`` or ``{fact|format}`` placeholders; only catalogue names are read."""
    currency = ev.book.currency

    def fill(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2)
        if extra and name in extra:
            return extra[name]
        if name not in CATALOGUE:
            return m.group(0)
        return show(value_of(ev, name, i), fmt or CATALOGUE[name].fmt, currency)
    return _PLACEHOLDER.sub(fill, template)


def _inputs(ev: Evaluation, names: tuple[str, ...], i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if CATALOGUE[name].kind == "set":
            continue
        v = value_of(ev, name, i)
        out[name] = None if isinstance(v, float) and not math.isfinite(v) else v
    return out


def trace(ev: Evaluation, i: int) -> list[dict[str, Any]]:
    """One line per rule evaluated for proposal ``i``, in the rulebook's order."""
    book, lines = ev.book, []
    if ev.fast_track[i]:
        cls = next(c for c in book.fast_track if c.name == ev.fast_track_class[i])
        lines.append({"rule": f"fast-track:{cls.name}", "kind": "fast_track", "outcome": "pass", "points": 0,
                      "message": f"fast track: {cls.description} is a pre-approved technology class "
                                 f"({condition_in_words(cls.when.text, book.currency)}); the environmental side "
                                 "needs no custom assessment",
                      "inputs": _inputs(ev, cls.when.names, i)})
    for g in book.gates:
        ok = bool(ev.gate_pass[g.id][i])
        own = bool(g.when.one(_row(ev, g.when.names, i))) if ok and ev.fast_track[i] \
            and g.dimension == "environmental" else ok
        if ok and not own:
            message, outcome = f"{render(g.says_fail, ev, i)}, but the fast track covers it", "pass"
        elif ok:
            message, outcome = render(g.says_pass, ev, i), "pass"
        else:
            message, outcome = render(g.says_fail, ev, i), "fail" if g.on_fail == "ineligible" else "refer"
        lines.append({"rule": g.id, "kind": "gate", "outcome": outcome, "points": 0, "message": message,
                      "inputs": _inputs(ev, g.when.names, i)})
    for dim in DIMENSIONS:
        for r in book.scoring[dim]:
            k = int(ev.band[r.id][i])
            pts = float(ev.points[r.id][i])
            value = show(_rule_value(ev, r, i), r.fmt, book.currency)
            says = r.bands[k].says if k >= 0 and r.bands[k].says else (r.otherwise if k < 0 else r.description)
            text = render(says, ev, i, {"value": value})
            lines.append({"rule": r.id, "kind": f"score:{dim}", "outcome": "pass" if pts > 0 else "fail",
                          "points": pts, "message": f"{text}: +{pts:g}",
                          "inputs": _inputs(ev, tuple(dict.fromkeys(
                              (*(r.value.names if r.value else ()), *(n for b in r.bands for n in b.when.names)))), i)})
    lines.append(payback_line(ev, i))
    for note in book.notes:
        if ev.notes[note.id][i]:
            lines.append({"rule": note.id, "kind": "note", "outcome": "info", "points": 0,
                          "message": render(note.says, ev, i), "inputs": _inputs(ev, note.when.names, i)})
    s = {k: int(v[i]) for k, v in ev.scores.items()}
    d = book.decision
    lines.append({"rule": "decision", "kind": "decision", "outcome": "info", "points": s["total"],
                  "message": _decision_text(ev, i, s, d), "inputs": {}})
    return lines


def payback_line(ev: Evaluation, i: int) -> dict[str, Any]:
    """The discounted payback explained: the year the discounted savings repay the investment, or that they never do."""
    f, currency = ev.facts, ev.book.currency
    rate = float(ev.book.finance["discount_rate"])
    investment, net, life = (float(f[k][i]) for k in ("investment", "net_annual_savings", "economic_life_years"))
    payback = float(f["discounted_payback_years"][i])
    recovered = math.isfinite(payback)
    whole_years = int(life) if math.isfinite(life) and life >= 1 else 0
    discounted = sum(net / (1 + rate) ** t for t in range(1, whole_years + 1)) if math.isfinite(net) else math.nan
    at = f"at {show(rate, 'pct', currency)}"
    if recovered:
        message = (f"discounted payback {payback:.2f} years {at}: the discounted net savings repay the "
                   f"{show(investment, 'money', currency)} investment in year {max(1, math.ceil(payback))} "
                   f"of the {whole_years}-year life")
    elif not (math.isfinite(net) and net > 0):
        message = "discounted payback: not recovered within the life, because the net annual savings are not positive"
    else:
        message = (f"discounted payback: not recovered within the life; the net savings discounted {at} add up "
                   f"to {show(discounted, 'money', currency)} over the {whole_years}-year life, less than the "
                   f"{show(investment, 'money', currency)} investment")
    inputs = {"investment": investment, "net_annual_savings": net, "economic_life_years": life,
              "discount_rate": rate, "discounted_savings_over_life": round(discounted, 2),
              "recovered_within_life": recovered}
    return {"rule": "discounted-payback", "kind": "info", "outcome": "info", "points": 0, "message": message,
            "inputs": {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in inputs.items()}}


def _rule_value(ev: Evaluation, r: Any, i: int) -> Any:
    if r.value is None:
        return None
    return float(r.value.one(_row(ev, r.value.names, i)))


def _row(ev: Evaluation, names: tuple[str, ...], i: int) -> dict[str, Any]:
    """Row ``i``'s facts that a condition reads, for its scalar form."""
    return {k: ev.facts[k][i] for k in names}


def _decision_text(ev: Evaluation, i: int, s: dict[str, int], d: dict[str, float]) -> str:
    weights = " + ".join(f"{ev.book.weights[k]:g}×{k} {s[k]}" for k in DIMENSIONS)
    failed = [g for g in ev.book.gates if not ev.gate_pass[g.id][i]]
    decision = ev.decision[i]
    if any(g.on_fail == "ineligible" for g in failed):
        why = "a hard eligibility gate failed: " + ", ".join(g.id for g in failed if g.on_fail == "ineligible")
    elif failed and decision == "referred":
        why = "a gate asks for a person's judgement: " + ", ".join(g.id for g in failed)
    elif decision == "eligible":
        why = f"total {s['total']} reaches {d['eligible_from']:g}"
    elif decision == "referred" and s["total"] >= d["eligible_from"]:
        why = f"a dimension scores under {d['min_each']:g}"
    elif decision == "referred":
        why = f"total {s['total']} is between {d['referred_from']:g} and {d['eligible_from']:g}"
    else:
        why = f"total {s['total']} is under {d['referred_from']:g}"
    return f"score {weights} = {s['total']}; {decision}: {why}"


def _lever(ev: Evaluation, i: int, fact: str, op: str, threshold: float) -> str | None:
    """What the SME could change so that ``fact op threshold`` holds."""
    f = {k: value_of(ev, k, i) for k in ("investment", "annual_savings", "annual_extra_operating_cost",
                                          "economic_life_years", "main_baseline_specific",
                                          "main_projected_output", "main_indicator")}
    money = lambda v: format_money(round(v, 2), ev.book.currency)  # noqa: E731
    extra = f["annual_extra_operating_cost"] if math.isfinite(f["annual_extra_operating_cost"]) else 0.0
    rate = ev.book.finance["discount_rate"]
    if fact in ("simple_payback_years", "simple_payback_with_grant") and op in ("<", "<=") and threshold > 0:
        need = f["investment"] / threshold + extra
        return (f"annual savings of {money(need)} (now {money(f['annual_savings'])}), or an investment of at most "
                f"{money((f['annual_savings'] - extra) * threshold)}, would bring simple payback to {threshold:g} years")
    if fact in ("npv", "npv_with_grant") and op in (">", ">=") and f["economic_life_years"] > 0:
        factor = annuity_factor(rate, f["economic_life_years"])
        need = (f["investment"] + threshold) / factor + extra
        return f"annual savings of {money(need)} (now {money(f['annual_savings'])}) would make the NPV reach {money(threshold)}"
    if fact == "irr" and op in (">", ">=") and f["economic_life_years"] > 0:
        # The level annual saving that repays the investment at the threshold rate (npf.pmt's).
        need = f["investment"] / annuity_factor(threshold, f["economic_life_years"]) + extra
        return f"annual savings of {money(need)} (now {money(f['annual_savings'])}) would lift the IRR to {threshold:.0%}"
    if fact == "main_improvement" and op in (">", ">=") and math.isfinite(f["main_baseline_specific"] or np.nan):
        qty = f["main_baseline_specific"] * (1 - threshold) * f["main_projected_output"]
        word = "under" if op == ">" else "at most"
        return (f"a projected {f['main_indicator'].replace('_', ' ')} consumption {word} {qty:,.0f} a year at the "
                f"same output would reach the {threshold:.0%} improvement")
    if fact in CATALOGUE:
        spec = CATALOGUE[fact]
        current = show(value_of(ev, fact, i), spec.fmt, ev.book.currency)
        words = {"<": "under", "<=": "at most", ">": "over", ">=": "at least", "==": "exactly", "!=": "other than"}[op]
        return f"{spec.description} would need to be {words} {show(threshold, spec.fmt, ev.book.currency)} (now {current})"
    return None


def _holds(value: float, op: str, threshold: float) -> bool:
    return {"<": value < threshold, "<=": value <= threshold, ">": value > threshold,
            ">=": value >= threshold, "==": value == threshold, "!=": value != threshold}[op]


def _levers(ev: Evaluation, i: int, comparisons: list[tuple[str, str, float]]) -> Iterator[str]:
    """A lever for each comparison row ``i`` does not yet meet."""
    for fact, op, threshold in comparisons:
        v = value_of(ev, fact, i)
        if isinstance(v, float) and math.isfinite(v) and _holds(v, op, threshold):
            continue
        lever = _lever(ev, i, fact, op, threshold)
        if lever:
            yield lever


def hints(ev: Evaluation, i: int, limit: int = 6) -> list[str]:
    """What would change the outcome: failed gates first, then the next band of weak scores."""
    out: list[str] = []
    for g in ev.book.gates:
        if not ev.gate_pass[g.id][i]:
            out += [f"to pass {g.id}: {lever}" for lever in _levers(ev, i, g.when.comparisons)]
    for dim in sorted(("technical", "economic", "environmental"), key=lambda d: ev.scores[d][i]):
        for r in ev.book.scoring[dim]:
            k = int(ev.band[r.id][i])
            now = r.bands[k].points if k >= 0 else 0
            better = [b for b in (r.bands[:k] if k >= 0 else r.bands) if b.points > now]
            if better:
                target = better[-1]  # the nearest better band
                # One lever per rule: the first unmet comparison of that band.
                out += [f"+{target.points - now:g} {dim} points on {r.id}: {lever}"
                        for lever in _levers(ev, i, target.when.comparisons)][:1]
    return list(dict.fromkeys(out))[:limit]
