"""Single-proposal and batch evaluation give identical results (hypothesis, all four rulebooks)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditline.finance.metrics import discounted_payback
from creditline.rules import engine
from creditline.vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAM_UNITS, TECHNOLOGY_READINESS

from .rule_data import BOOKS, book

LOADED = {name: book(name) for name in BOOKS}
CLASSES = ["", "textile_dyeing_low_liquor_ratio", "boiler_economiser", "led_lighting", "unknown_kit"]

amount = st.integers(min_value=1, max_value=2_000_000).map(lambda c: f"{c}.{c % 100:02d}")
quantity = st.decimals(min_value="0.5", max_value="5000000", places=2).map(str)


@st.composite
def indicator(draw, stream):
    return {"stream": stream, "unit": STREAM_UNITS[stream], "baseline_quantity": draw(quantity),
            "baseline_output": draw(quantity), "projected_quantity": draw(st.one_of(st.just("0"), quantity)),
            "projected_output": draw(quantity)}


@st.composite
def proposal(draw):
    streams = draw(st.lists(st.sampled_from(list(STREAM_UNITS)), min_size=1, max_size=4, unique=True))
    investment = draw(st.integers(min_value=1000, max_value=3_000_000))
    loan = draw(st.integers(min_value=1, max_value=investment))
    return {
        "title": "generated", "cp_options": draw(st.lists(st.sampled_from(CP_OPTIONS), min_size=1, max_size=3, unique=True)),
        "investment": f"{investment}.00", "loan_amount": f"{loan}.00", "own_contribution": f"{investment - loan}.00",
        "eligible_cost": f"{draw(st.integers(min_value=0, max_value=investment))}.00",
        "economic_life_years": draw(st.integers(min_value=1, max_value=30)),
        "annual_savings": draw(st.one_of(st.just("0"), amount)),
        "annual_extra_operating_cost": draw(st.one_of(st.none(), st.just("0"), amount)),
        "implementation_months": draw(st.integers(min_value=1, max_value=36)),
        "technology": {"readiness": draw(st.sampled_from(TECHNOLOGY_READINESS)), "class": draw(st.sampled_from(CLASSES))},
        "main_indicator": draw(st.sampled_from(streams)),
        "indicators": [draw(indicator(s)) for s in streams],
        "documents": draw(st.lists(st.sampled_from(list(DOCUMENT_KINDS)), unique=True)),
        "other_incentives": draw(st.lists(st.just({"name": "other grant"}), max_size=1)),
        "enterprise": {"employees": draw(st.integers(min_value=1, max_value=900)),
                       "annual_turnover": str(draw(st.integers(min_value=0, max_value=90_000_000))),
                       "total_assets": str(draw(st.integers(min_value=0, max_value=60_000_000))),
                       "domestic_ownership_share": draw(st.sampled_from(["0", "0.4", "0.51", "1"])),
                       "operating_since": draw(st.sampled_from(["2026-10-01", "2020-01-15", "1998-06-15"])),
                       "isic_code": draw(st.sampled_from(["1313", "2410", "1200", "1101", "9200"])), "country": "VN"},
        "as_of": "2026-11-23",
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(proposal(), min_size=1, max_size=8), name=st.sampled_from(BOOKS))
def test_batch_equals_one_at_a_time(rows, name):
    b = LOADED[name]
    for r in rows:
        assert engine.validate_proposal_row(r) == {}, engine.validate_proposal_row(r)
    batch = engine.to_json(engine.assess_batch(b, rows))
    single = [engine.to_json(engine.assess(b, r)) for r in rows]
    assert batch == single


def _payback_by_hand(investment, net, life, rate):
    """The cash-flow table in plain Python: the year the cumulative discounted flow turns non-negative."""
    if net <= 0:
        return None
    if investment <= 0:
        return 0.0
    cumulative = -investment
    for t in range(1, int(life) + 1):
        flow = net / (1 + rate) ** t
        if cumulative + flow >= 0:
            return (t - 1) + -cumulative / flow
        cumulative += flow
    return None


flows = st.tuples(st.integers(min_value=0, max_value=3_000_000), st.integers(min_value=-50_000, max_value=2_000_000),
                  st.integers(min_value=1, max_value=40))


@settings(max_examples=200, deadline=None)
@given(cases=st.lists(flows, min_size=1, max_size=12), rate=st.sampled_from([0.0, 0.05, 0.08, 0.1, 0.12]))
def test_discounted_payback_alone_in_a_batch_and_by_hand_agree_and_never_exceed_the_life(cases, rate):
    inv, net, life = (np.array(c, dtype=float) for c in zip(*cases))
    batch = discounted_payback(inv, net, life, rate)
    for i, (investment, saving, years) in enumerate(cases):
        alone = discounted_payback(inv[i:i + 1], net[i:i + 1], life[i:i + 1], rate)[0]
        assert np.array_equal(alone, batch[i], equal_nan=True)  # bit for bit
        expected = _payback_by_hand(investment, saving, years, rate)
        if expected is None:
            assert np.isnan(batch[i])
        else:
            assert batch[i] == pytest.approx(expected, rel=1e-12, abs=1e-9)
            assert 0 <= batch[i] <= years
