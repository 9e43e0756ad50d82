"""The what-if's sensitivity steps do only the work their answers need, and answer as the batch does."""
import numpy as np

from creditline.rules import engine, evaluation_one
from creditline.rules.facts import values_of

from .rule_data import DYEING_ROW, book


def test_steps_landing_on_the_same_amounts_are_scored_once(monkeypatch):
    # ebrd-ee lets energy prices move the whole of the savings (energy_share_of_savings: 1.0), so
    # each energy-price step lands on the amounts of the savings step of the same size.
    b = book("ebrd-ee")
    assert b.finance["energy_share_of_savings"] == 1.0
    values = values_of(DYEING_ROW)
    facts = evaluation_one.evaluated_one(b, values)[1]
    calls = []
    real = engine.outcome_one
    monkeypatch.setattr(engine, "outcome_one", lambda *a, **k: calls.append((a[1]["investment"], a[1]["annual_savings"])) or real(*a, **k))
    lines = engine.sensitivity_one(b, values, facts)
    steps = b.sensitivity["steps"]
    assert len(lines) == 3 * len(steps) and len(calls) == len(set(calls)) == 2 * len(steps)
    by = {(line["factor"], line["change"]): {k: v for k, v in line.items() if k != "factor"} for line in lines}
    assert all(by[("energy_prices", float(c))] == by[("annual_savings", float(c))] for c in steps)
    assert lines == engine.sensitivity(b, engine.columns([DYEING_ROW]))[0]  # and what the batch answers


def test_an_outcome_of_the_conditions_is_scored_and_decided_once(monkeypatch):
    b = book("gctf-vn")
    values = values_of(DYEING_ROW)
    facts = evaluation_one.evaluated_one(b, values)[1]
    monkeypatch.setattr(evaluation_one, "_OUTCOMES", {})
    scored = []
    real = evaluation_one.score_dimensions
    monkeypatch.setattr(evaluation_one, "score_dimensions", lambda *a: scored.append(1) or real(*a))
    cheaper = engine._vary(values, b, "investment", -0.2)
    _, decision, scores = evaluation_one.outcome_one(b, cheaper, engine._SENSITIVITY_FACTS, facts)
    want = dict(scores)
    scores["total"] = -1  # a caller's copy: the outcome kept for the next step is not touched
    again = evaluation_one.outcome_one(b, cheaper, engine._SENSITIVITY_FACTS, facts)
    assert scored == [1] and again[1:] == (decision, want)
    full = evaluation_one.evaluate_one(b, cheaper)
    assert (full.decision[0], {k: v[0] for k, v in full.scores.items()}) == (decision, want)


def test_a_figure_of_the_rate_and_the_life_is_worked_out_once_and_is_the_kernel_s_own():
    from creditline.finance import array_ops, metrics

    calls = []

    def factor(o, rate, years):
        calls.append((rate, years))
        return metrics._annuity_factor(o, rate, years)
    once = [array_ops.SCALAR.once(factor, 0.1, float(n)) for n in (5, 7, 5, 7, 5)]
    assert calls == [(0.1, 5.0), (0.1, 7.0)]
    assert once == [metrics.annuity_factor(0.1, float(n)) for n in (5, 7, 5, 7, 5)]
    # A batch works the figure out over its columns, as before.
    assert list(array_ops.ARRAY.once(factor, np.array([0.1, 0.1]), np.array([5.0, 7.0]))) == once[:2]
