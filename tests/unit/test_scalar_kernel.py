"""The scalar kernel (the what-if's path) equals the vectorised one (the batch's), bit for bit.

``test_engine_batch.test_batch_equals_one_at_a_time`` compares whole assessments; these tests
reach the corners generated proposals rarely do: divisions by zero, NaN, infinities, every node
of the condition language, every branch of the finance maths.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.finance import metrics
from creditline.finance.array_ops import ARRAY, SCALAR
from creditline.rules import engine, grants
from creditline.rules.expressions import compile_expression
from creditline.rules.evaluation_one import evaluate_one, read_by_rules
from creditline.rules.facts import FACT_TYPES, SETS
from creditline.rules.facts import values_of

from .rule_data import BOOKS
from .test_engine_batch import LOADED, proposal


def same(a, b) -> bool:
    """Equal as floats, bit for bit (NaN equals NaN, 0.0 differs from -0.0 only where it matters)."""
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


edge = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 300.0, 1e-13, 1e308, -1e308, math.inf, -math.inf, math.nan])
money = st.one_of(edge, st.floats(min_value=-1e7, max_value=1e8, allow_nan=False))
life = st.one_of(st.integers(min_value=-2, max_value=60).map(float), st.just(math.nan), st.just(0.0))
rate = st.sampled_from([0.0, 0.05, 0.1, 0.12, 1e-13, -0.5])


@settings(max_examples=300, deadline=None)
@given(inv=money, savings=money, extra=money, years=life, discount=rate)
def test_the_scalar_finance_metrics_equal_the_vectorised_ones(inv, savings, extra, years, discount):
    v = metrics.economic_metrics(np.array([inv]), np.array([savings]), np.array([extra]), np.array([years]), discount)
    one = metrics.economic_metrics(inv, savings, extra, years, discount)
    for got, want in zip(one, (v.npv, v.irr, v.simple_payback_years, v.discounted_payback_years,
                               v.benefit_cost_ratio)):
        assert same(got, want[0]), (one, v)
    dscr = metrics.debt_service_coverage(np.array([savings - extra]), np.array([inv]), discount, years)[0]
    assert same(metrics.debt_service_coverage(savings - extra, inv, discount, years), dscr)
    # The what-if's derivation calls the kernel on floats straight away: the very same figures.
    straight = metrics.economic_metrics.scalar(inv, savings, extra, float(years), discount)
    assert all(same(a, b) for a, b in zip(straight, one)), (straight, one)


@settings(max_examples=300, deadline=None)
@given(base=st.one_of(edge, st.floats(min_value=0.5, max_value=3.0)),
       exponent=st.integers(min_value=-80, max_value=80).map(float))
def test_whole_powers_are_squared_alike_in_both_kernels(base, exponent):
    # Only whole exponents are promised: a fractional life goes through each library's pow (the
    # engine refuses one: economic_life_years must be whole years).
    assert same(metrics.power(base, exponent), metrics.power(np.array([base]), np.array([exponent]))[0])


def test_numpys_pow_would_not_do_for_the_scalar_path():
    """Why :func:`metrics.power` exists: numpy's vectorised pow differs from C's in the last bit."""
    bases = 1.0 + np.linspace(0.01, 0.3, 4000)
    differ = (bases ** 17.0) != np.array([b ** 17.0 for b in bases.tolist()])
    same_by_squaring = metrics.power(bases, 17.0) == np.array([metrics.power(b, 17.0) for b in bases.tolist()])
    assert same_by_squaring.all()
    if not differ.any():
        pytest.skip("this CPU's numpy pow happens to match the C library's")


# Every node of the condition language, including the ones numpy and Python treat differently.
CONDITIONS = [
    "investment / loan_amount > 2", "loan_amount / investment <= 0.5", "-npv < 0 or not (irr >= 0.1)",
    "min(irr, npv) > 0", "max(irr, npv, 3) >= 3", "abs(npv - 5) < 10", "missing(irr)", "not missing(npv)",
    "employees in [1, 300, 2.5]", "employees not in [0]", "country == 'VN' and isic_code != '1313'",
    "country in ['VN', 'CO']", "has_any(cp_options, ['good_housekeeping', 'technology_change'])",
    "has_all(documents, ['energy_audit', 'quotation'])", "0 < employees <= 300", "true", "false or npv > 0",
    "(investment + loan_amount) * 2 - npv / employees >= 0",
]


@settings(max_examples=200, deadline=None)
@given(values=st.fixed_dictionaries({"investment": edge, "loan_amount": edge, "npv": edge, "irr": edge,
                                     "employees": edge}),
       country=st.sampled_from(["VN", "CO", ""]), isic=st.sampled_from(["1313", "2410"]),
       cp=st.integers(min_value=0, max_value=(1 << len(SETS["cp_options"])) - 1),
       docs=st.integers(min_value=0, max_value=(1 << len(SETS["documents"])) - 1))
def test_every_condition_gives_the_same_answer_in_both_forms(values, country, isic, cp, docs):
    facts = {**values, "country": country, "isic_code": isic, "cp_options": cp, "documents": docs}
    columns = {k: np.array([v], dtype=object if isinstance(v, str) else np.int64 if k in SETS else float)
               for k, v in facts.items()}
    for text in CONDITIONS:
        c = compile_expression(text, FACT_TYPES, SETS)
        want = bool(np.broadcast_to(c.evaluate(columns), (1,))[0])
        assert c.one(facts) is not None and bool(c.one(facts)) == want, text


def test_a_scalar_condition_has_no_builtins_to_reach():
    c = compile_expression("employees > 3", FACT_TYPES, SETS)
    assert c.one.__globals__["__builtins__"] == {}


@settings(max_examples=25, deadline=None)
@given(row=proposal(), name=st.sampled_from(BOOKS))
def test_a_sensitivity_step_computes_only_what_it_reads_yet_answers_the_same(row, name):
    b = LOADED[name]  # parsed once (test_engine_batch): parsing a rulebook per example was most of the time
    full = engine.sensitivity(b, engine.columns([row]))[0]
    values = values_of(row)
    facts = {k: v[0] for k, v in evaluate_one(b, values).facts.items()}
    assert engine.sensitivity_one(b, values, facts) == full
    assert read_by_rules(b) <= set(FACT_TYPES)


@settings(max_examples=200, deadline=None)
@given(inv=st.floats(min_value=1_000, max_value=5e6), payback=st.floats(min_value=0.3, max_value=40),
       years=st.integers(min_value=1, max_value=40))
def test_the_irr_kernel_agrees_with_numpy_financial(inv, payback, years):
    # numpy-financial stays the reference for the finance maths: the kernel solves the level
    # annuity with its own Halley iteration (exact derivatives, a start without a power, an early stop) so one proposal
    # costs microseconds and a batch row never waits for another; npf.irr on the same cash flows
    # says it still finds the same rate.
    import numpy_financial as npf
    net = inv / payback
    want = npf.irr([-inv] + [net] * years)
    got = metrics.level_irr(inv, net, float(years))
    assert same(got, metrics.level_irr(np.array([inv]), np.array([net]), np.array([float(years)]))[0])
    if math.isnan(want):
        assert math.isnan(got) or got < -0.99
    else:
        assert got == pytest.approx(want, abs=1e-9)


class CountingPowers:
    """:data:`SCALAR`, counting the powers of (1 + r) a kernel takes (one per Halley step)."""

    def __init__(self):
        self.powers = 0

    def __getattr__(self, name):
        return getattr(SCALAR, name)

    def squared_power(self, base, k):
        self.powers += 1
        return SCALAR.squared_power(base, k)


def test_an_irr_near_zero_starts_close_enough_for_one_to_three_halley_steps():
    # A third of proposals and sensitivity steps repay between a quarter of the investment and
    # twice it. There the fixed-point start converged slowly (five to eight powers in all); the
    # annuity factor's series takes none, and leaves Halley's method one to three steps (Newton's
    # took two to five).
    counts, checked = [], 0
    for years in range(2, 41, 2):
        for repaid in np.linspace(0.3, 1.9, 33):
            o, inv = CountingPowers(), 123_456.78
            net = repaid * inv / years
            got = metrics._level_irr(o, inv, net, float(years))
            if years <= 20 and years % 6 == 2:  # numpy-financial is slow: a third of the grid
                import numpy_financial as npf
                assert got == pytest.approx(npf.irr([-inv] + [net] * years), abs=1e-9)
                checked += 1
            counts.append(o.powers)
    assert checked and max(counts) <= 3 and sum(counts) / len(counts) < 2.0, (max(counts), np.mean(counts))


def test_a_strongly_negative_irr_is_the_root_not_where_newton_stalled():
    # Repaying 7% of the investment over 11 years: from the clipped perpetuity yield, Newton ran
    # where the slope is steep and stopped on a tiny step at -0.3293 (an NPV of 1.15 million);
    # the series start finds the root.
    import numpy_financial as npf
    inv, net, years = 1932446.0573748138, 12710.560584520723, 11
    got = metrics.level_irr(inv, net, float(years))
    assert got == pytest.approx(npf.irr([-inv] + [net] * years), abs=1e-9)
    assert abs(metrics.economic_metrics(inv, net, 0.0, float(years), got).npv) < 1e-3


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(min_value=-1e14, max_value=1e14), st.sampled_from([-0.0, 0.005, 1.005, 2.675, 0.0005, 2.0015, 1e12 + 0.0625, 1e15 + 0.125])))
def test_a_shown_amount_is_the_cent_rounding_of_the_figure(v):
    from creditline.finance.money import to_money
    from creditline.rules.result_figures import TONNE
    got, want = engine._money(v), to_money(round(v, 2))
    assert got == want and str(got) == str(want)
    tonnes, want = engine._tonnes(v), to_money(round(v, 3), TONNE)  # tCO2e avoided, to the kilogram
    assert tonnes == want and str(tonnes) == str(want)


@settings(max_examples=200, deadline=None)
@given(improvement=st.one_of(edge, st.floats(min_value=-1, max_value=1)),
       basis=st.one_of(edge, st.floats(min_value=0, max_value=1e9)), which=st.sampled_from(BOOKS))
def test_the_grant_band_and_amount_are_one_kernel_for_one_and_for_many(improvement, basis, which):
    # The steps scales and the graded one (gctf-pe), every threshold side, NaN and infinite inputs.
    bands = LOADED[which].grant_bands
    rate_one = grants.rate_of(SCALAR, improvement, bands)
    assert same(rate_one, grants.grant_rate(np.array([improvement]), bands)[0])
    if abs(basis) < 1e15:  # whole cents of larger amounts overflow int64 in the batch; no loan is that large
        cents = grants.cents_of(SCALAR, basis, rate_one, bands.get("cap"))
        assert cents == grants.grant_amount_cents(np.array([basis]), np.array([rate_one]), bands.get("cap"))[0]
        assert isinstance(cents, int)


def test_the_class_digits_are_read_once_per_distinct_code():
    codes = np.array(["C1313", "1313", "", "C1313", "c2011x"], dtype=object)
    seen = []
    got = ARRAY.each_distinct(lambda c: seen.append(c) or c.upper(), codes)
    assert got.tolist() == ["C1313", "1313", "", "C1313", "C2011X"] and sorted(seen) == ["", "1313", "C1313", "c2011x"]
