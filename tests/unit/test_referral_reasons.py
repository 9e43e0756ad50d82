"""Which tasks a referred assessment asks for, and the NCPC's offset of worse indicators, from the stored JSON."""
import pytest

from creditline.referrals.reasons import offset_of, tasks_for

GATE_WORSE = {"rule": "no-side-effects", "kind": "gate", "outcome": "refer", "message": "1 indicator(s) get worse",
              "inputs": {"worse_count": 1}}
GATE_FUNDING = {"rule": "no-double-funding", "kind": "gate", "outcome": "refer", "message": "1 other incentive(s)",
                "inputs": {"other_incentives_count": 1}}
PASSED = {"rule": "sme-size", "kind": "gate", "outcome": "pass", "message": "ok", "inputs": {"employees": 10}}
NOTE = {"rule": "second-opinion", "kind": "note", "outcome": "info", "message": "over USD 200,000", "inputs": {}}
DECISION = {"rule": "decision", "kind": "decision", "outcome": "info", "message": "score 52: referred", "inputs": {}}

# The demo rolling mill as scored: chemicals -86.6%, hazardous waste -81.7%, electricity +11.9% per tonne.
METRICS = {"improvement": {"chemicals": 0.8659, "hazardous_waste": 0.8173, "electricity": -0.119},
           "specific_consumption": {"chemicals": {"baseline": 0.006833, "projected": 0.000917},
                                    "hazardous_waste": {"baseline": 0.008667, "projected": 0.001583},
                                    "electricity": {"baseline": 35.0, "projected": 39.166667}}}
FACTORS = {"electricity": 0.0006766}


def test_each_refer_line_is_a_task_for_its_owner_and_the_second_opinion_does_not_block():
    specs = tasks_for("referred", [PASSED, GATE_WORSE, GATE_FUNDING, NOTE, DECISION])
    assert [(s.reason, s.owner, s.blocking, s.rule) for s in specs] == [
        ("worse_indicator", "ncpc", True, "no-side-effects"), ("double_funding", "fund", True, "no-double-funding"),
        ("second_opinion", "second_opinion", False, "second-opinion")]


def test_a_proposal_referred_by_its_score_alone_gets_a_judgement_task():
    (spec,) = tasks_for("referred", [PASSED, DECISION])
    assert (spec.reason, spec.owner, spec.message) == ("judgement", "ncpc", "score 52: referred")


def test_no_task_unless_referred():
    assert tasks_for("eligible", [PASSED, NOTE, DECISION]) == []
    assert tasks_for("ineligible", [GATE_WORSE, DECISION]) == []


@pytest.mark.parametrize("method,net", [("main_only", 0.8659), ("deduct_worse", 0.8659 - 0.119),
                                        ("min_of_all", -0.119), ("weighted_co2e", 0.8659)])
def test_the_offset_methods_on_the_projected_figures(method, net):
    offset = offset_of(METRICS, "chemicals", FACTORS, method)
    assert offset.net == pytest.approx(net, abs=1e-4)
    assert offset.losses == {"electricity": -0.119}
    assert offset.main_improvement == 0.8659 and offset.basis


def test_weighted_co2e_pools_energy_when_the_main_indicator_is_energy():
    metrics = {"improvement": {"electricity": 0.2, "natural_gas": -0.1},
               "specific_consumption": {"electricity": {"baseline": 100.0, "projected": 80.0},
                                        "natural_gas": {"baseline": 10.0, "projected": 11.0}}}
    offset = offset_of(metrics, "electricity", {"electricity": 0.0006766, "natural_gas": 0.001885}, "weighted_co2e")
    base, now = 100 * 0.0006766 + 10 * 0.001885, 80 * 0.0006766 + 11 * 0.001885
    assert offset.net == pytest.approx(1 - now / base, abs=1e-4)


def test_a_new_stream_leaves_the_strict_net_undefined_and_unknown_input_is_refused():
    metrics = {"improvement": {"water": 0.5, "natural_gas": -1.0},
               "specific_consumption": {"water": {"baseline": 2.0, "projected": 1.0},
                                        "natural_gas": {"baseline": 0.0, "projected": 3.0}}}
    assert offset_of(metrics, "water", {}, "deduct_worse").net is None
    with pytest.raises(ValueError, match="unknown offset method"):
        offset_of(METRICS, "chemicals", FACTORS, "average")
    with pytest.raises(ValueError, match="main indicator"):
        offset_of(METRICS, "water", FACTORS, "main_only")
