"""The rules engine on the shipped rulebooks: decisions, published cases, trace, hints, what changes."""
from decimal import Decimal

import numpy as np
import numpy_financial as npf
import pytest

from creditline.finance.metrics import economic_metrics
from creditline.rules import engine
from creditline.rules.grants import grant_for, grant_rate
from creditline.rules.loader import RulebookError, parse_rulebook
from creditline.rules.simulate import compare_portfolio
from creditline.scoring.batch import score_rows

from .rule_data import BOOKS, RULES, book, row, water


@pytest.mark.parametrize("name", BOOKS)
def test_every_shipped_rulebook_loads_and_scores(name):
    b = book(name)
    assert b.hash.startswith("sha256:") and b.sources
    result = engine.assess(b, row(currency=b.currency))
    assert result["decision"] in {"eligible", "referred", "ineligible"}
    assert result["rulebook"] == {"id": b.id, "version": b.version, "hash": b.hash}
    assert all(0 <= result["scores"][d] <= 100 for d in ("technical", "economic", "environmental", "total"))
    kinds = {line["kind"] for line in result["trace"]}
    assert {"gate", "decision"} <= kinds


def test_the_design_example_is_eligible_with_every_point_explained():
    result = engine.assess(book("gctf-vn"), row(technology={"readiness": "commercial"}))
    assert result["decision"] == "eligible"
    payback = next(t for t in result["trace"] if t["rule"] == "payback")
    assert payback["message"] == "simple payback 5.0 years is under the 5-year limit: +20"
    assert payback["points"] == 20 and payback["inputs"] == {"simple_payback_years": 5.0}
    assert result["metrics"]["main_improvement"] == 0.55
    assert result["metrics"]["improvement"] == {"electricity": 0.2222, "water": 0.55}
    # 200,000 kWh less a year at the Viet Nam grid factor 0.6766 t/MWh.
    assert result["metrics"]["co2e_avoided_t_per_year"] == Decimal("135.320")
    scored = [t for t in result["trace"] if t["kind"].startswith("score:")]
    for dim in ("technical", "economic", "environmental"):
        assert sum(t["points"] for t in scored if t["kind"] == f"score:{dim}") == result["scores"][dim]


def test_economic_metrics_agree_with_numpy_financial():
    m = economic_metrics(np.array([100000.0]), np.array([25000.0]), np.array([5000.0]), np.array([10.0]), 0.10)
    flows = [-100000.0] + [20000.0] * 10
    assert m.npv[0] == pytest.approx(npf.npv(0.10, flows), abs=1e-6)
    assert m.irr[0] == pytest.approx(npf.irr(flows), abs=1e-9)
    assert m.simple_payback_years[0] == 5.0
    # Year by year: -100,000 + 20,000 x 4.8684 after 7 years leaves 2,631.62 of year 8's 9,330.15 to go.
    assert m.discounted_payback_years[0] == pytest.approx(7 + (100000 - 20000 * sum(1.1 ** -t for t in range(1, 8)))
                                                          / (20000 / 1.1 ** 8), abs=1e-9)
    never = economic_metrics(np.array([100000.0]), np.array([1000.0]), np.array([5000.0]), np.array([10.0]), 0.1)
    assert np.isnan(never.irr[0]) and np.isnan(never.simple_payback_years[0])


def test_a_discounted_payback_beyond_the_life_is_not_recovered_not_18_8_years():
    # 100,000 invested, 12,000 a year for 10 years at 10%: the closed form says 18.8 years, but the
    # ten discounted savings add up to 73,734.81, so the money is never recovered within the life.
    assert npf.nper(0.10, 12000, -100000) == pytest.approx(18.8, abs=0.01)
    m = economic_metrics(np.array([100000.0]), np.array([12000.0]), np.array([0.0]), np.array([10.0]), 0.10)
    assert np.isnan(m.discounted_payback_years[0]) and m.simple_payback_years[0] == pytest.approx(8.333, abs=1e-3)
    r = engine.assess(book("gctf-vn"), row(annual_savings="12000.00", annual_extra_operating_cost="0"))
    assert r["metrics"]["discounted_payback_years"] is None
    (line,) = [t for t in r["trace"] if t["rule"] == "discounted-payback"]
    assert line["inputs"]["recovered_within_life"] is False
    assert line["inputs"]["discounted_savings_over_life"] == 73734.81
    assert line["message"] == ("discounted payback: not recovered within the life; the net savings discounted at 10% "
                               "add up to USD 73,734.81 over the 10-year life, less than the USD 100,000 investment")


def test_the_discounted_payback_interpolates_within_the_year_it_is_recovered():
    # 30,000 a year at 10%: 27,272.73 + 24,793.39 + 22,539.44 = 74,605.56 after 3 years; year 4 brings 20,490.40.
    m = economic_metrics(np.array([90000.0, 50000.0, 0.0]), np.array([30000.0, 0.0, 1000.0]),
                         np.array([0.0, 0.0, 0.0]), np.array([10.0, 10.0, 5.0]), 0.10)
    assert m.discounted_payback_years[0] == pytest.approx(3 + (90000 - 30000 * (1 / 1.1 + 1 / 1.1 ** 2 + 1 / 1.1 ** 3))
                                                          / (30000 / 1.1 ** 4), abs=1e-9)  # 3.7513
    assert np.isnan(m.discounted_payback_years[1])  # no savings, no payback
    assert m.discounted_payback_years[2] == 0.0  # nothing to repay
    r = engine.assess(book("gctf-vn"), row())
    (line,) = [t for t in r["trace"] if t["rule"] == "discounted-payback"]
    assert line["inputs"]["recovered_within_life"] is True
    assert line["message"].startswith("discounted payback 7.28 years at 10%: the discounted net savings repay the "
                                      "USD 100,000 investment in year 8 of the 10-year life")


def test_a_25_percent_grant_takes_payback_from_5_to_3_75_years():
    # Published case: a 25% reimbursement of the credit on a fully financed investment.
    r = engine.assess(book("gctf-vn"), row(loan_amount="100000.00", own_contribution="0",
                                           annual_extra_operating_cost="0", annual_savings="20000.00"))
    assert r["metrics"]["simple_payback_years"] == 5.0
    assert r["metrics"]["grant_band"] == {"rate": 0.25, "amount": Decimal("25000.00"), "basis": "loan_amount"}
    assert r["metrics"]["with_grant"]["simple_payback_years"] == 3.75


@pytest.mark.parametrize("improvement,rate", [(0.30, 0.0), (0.3001, 0.15), (0.50, 0.15), (0.5001, 0.25), (0.9, 0.25)])
def test_viet_nam_bands_are_exclusive_at_the_thresholds(improvement, rate):
    assert grant_rate(improvement, book("gctf-vn").grant_bands)[0] == rate


def test_viet_nam_grant_is_capped_at_200000():
    assert grant_for(0.6, Decimal("1000000.00"), book("gctf-vn").grant_bands) == (0.25, Decimal("200000.00"))


def test_peru_graded_scale_reproduces_the_published_case():
    # USD 59,690 accepted by the centre, 20% reimbursed: USD 11,938 (diesel to natural gas).
    bands = book("gctf-pe").grant_bands
    assert grant_for(0.40, Decimal("59690.00"), bands) == (0.20, Decimal("11938.00"))
    assert grant_rate([0.30, 0.35, 0.50, 0.70], bands).tolist() == [0.0, 0.17, 0.25, 0.25]


def test_an_ineligible_proposal_is_told_what_would_pass():
    r = engine.assess(book("gctf-vn"), row(indicators=water("100000", "80000"), technology={"readiness": "commercial"}))
    assert r["decision"] == "ineligible"
    assert "min-improvement" in r["failed_rules"]
    gate = next(t for t in r["trace"] if t["rule"] == "min-improvement")
    assert gate["outcome"] == "fail" and "20%, under the 30% threshold" in gate["message"]
    assert any("projected water consumption at most 70,000" in h for h in r["hints"])


def test_a_slow_payback_gets_a_savings_hint():
    r = engine.assess(book("gctf-vn"), row(annual_savings="12000.00", technology={"readiness": "commercial"}))
    assert any("annual savings of USD 25,000" in h and "payback to 5 years" in h for h in r["hints"])


def test_sensitivity_moves_savings_investment_and_energy_prices_both_ways():
    r = engine.assess(book("gctf-vn"), row())
    table = {(s["factor"], s["change"]): s for s in r["sensitivity"]}
    assert set(table) == {(f, c) for f in ("annual_savings", "investment", "energy_prices") for c in (-0.2, 0.2)}
    assert table[("annual_savings", -0.2)]["npv"] < r["metrics"]["npv"] < table[("annual_savings", 0.2)]["npv"]
    assert table[("investment", 0.2)]["simple_payback_years"] == 6.0


def test_fast_track_class_passes_the_environmental_gate_and_says_so():
    b = book("ebrd-ee")
    energy = [{"stream": "natural_gas", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "1000",
               "projected_quantity": "85000", "projected_output": "1000"}]
    plain = engine.assess(b, row(currency="EUR", main_indicator="natural_gas", indicators=energy,
                                 technology={"readiness": "commercial"}))
    fast = engine.assess(b, row(currency="EUR", main_indicator="natural_gas", indicators=energy,
                                technology={"readiness": "commercial", "class": "boiler_economiser"}))
    assert "min-energy-saving" in plain["failed_rules"] and plain["decision"] == "ineligible"
    assert fast["fast_track"] == "boiler_economiser" and "min-energy-saving" not in fast["failed_rules"]
    assert fast["trace"][0]["rule"] == "fast-track:boiler_economiser"
    assert "pre-approved" in fast["trace"][0]["message"]
    assert fast["scores"]["environmental"] == 100


def test_documents_checklist_lists_what_is_missing():
    r = engine.assess(book("gctf-vn"), row(documents=["quotation", "financial_statements"]))
    assert r["documents_missing"] == ["technical_datasheet", "business_registration", "ownership_declaration"]


def test_batch_rows_report_bad_rows_by_number_and_field_and_score_the_rest():
    rows = [row(), row(loan_amount="200000.00"), row(indicators=water("100", "50", output="0")), row(cp_options=["magic"])]
    out = score_rows(book("gctf-vn"), rows)
    assert out["scored"] == 1 and out["rejected"] == 3
    assert [e["row"] for e in out["errors"]] == [2, 3, 4]
    assert "loan_amount" in out["errors"][0]["errors"]
    assert out["errors"][1]["errors"]["indicators.0.projected_output"] == ["production output must be more than zero"]
    assert out["errors"][2]["errors"] == {"cp_options.0": ["unknown CP option type 'magic'"]}
    assert out["results"][0]["row"] == 1


def test_rulebook_errors_name_file_rule_and_field():
    text = (book("gctf-vn").text.replace("when: loan_amount >= 10000 and", "when: loan_amout >= 10000 and")
            .replace("weight: 0.3\n", "weight: 0.2\n"))
    with pytest.raises(RulebookError) as err:
        parse_rulebook(text, "rules/gctf-vn.yaml")
    problems = err.value.problems
    assert "rules/gctf-vn.yaml: eligibility[3].when (line 41, rule 'loan-bounds'): unknown fact 'loan_amout'" \
        in "\n".join(problems)
    assert any("weights add up to 0.9" in p for p in problems)


def test_simulation_lists_the_decisions_a_stricter_draft_would_change():
    current = book("gctf-vn")
    draft = parse_rulebook(current.text.replace("main_improvement >= 0.30", "main_improvement >= 0.60")
                           .replace('version: "2007.1"', 'version: "2026.1"'), "draft")
    rows = [dict(row(), id=1), dict(row(indicators=water("100000", "30000")), id=2)]
    out = compare_portfolio([(current, rows)], draft)
    assert out["compared"] == 2 and out["decision_changes"] == {"eligible → ineligible": 1}
    assert [c["id"] for c in out["changes"]] == [1]
    assert out["changes"][0]["failed_rules_after"] == ["min-improvement"]
    # Row 1 loses its 25% grant on USD 80,000; row 2 (70% less water) keeps its own.
    assert out["grant_total_before"] - out["grant_total_after"] == Decimal("20000.00") == -out["budget_effect"]


def test_a_rulebook_sets_its_own_sensitivity_steps_and_factors():
    text = book("gctf-vn").text + "\nsensitivity:\n  steps: [-0.3, -0.1, 0.1]\n  factors: [annual_savings, investment]\n"
    b = parse_rulebook(text, "steps.yaml")
    out = engine.assess(b, row())["sensitivity"]
    assert [(s["factor"], s["change"]) for s in out] == [
        ("annual_savings", -0.3), ("annual_savings", -0.1), ("annual_savings", 0.1),
        ("investment", -0.3), ("investment", -0.1), ("investment", 0.1)]
    # Savings 25,000 x 0.7 = 17,500 less 5,000 extra cost: 12,500 a year for 10 years on 100,000.
    worst = out[0]
    assert worst["simple_payback_years"] == 8.0 and worst["npv"] == Decimal("-23192.91")
    assert worst["decision"] == "referred" and worst["total"] == 65 and isinstance(worst["total"], int)
    cheaper = out[3]
    assert cheaper["simple_payback_years"] == 3.5 and cheaper["irr"] == round(float(npf.irr([-70000] + [20000] * 10)), 4)


def test_unknown_grant_conditions_are_refused_when_the_rulebook_loads():
    text = (RULES / "ebrd-ee.yaml").read_text()
    assert "conditions: [loan_outstanding, no_other_grant]" in text
    with pytest.raises(RulebookError) as err:
        parse_rulebook(text.replace("conditions: [loan_outstanding, no_other_grant]",
                                    "conditions: [loan_outstanding, moon_is_full]"), "rules/ebrd-ee.yaml")
    assert any("grant_bands" in e and "moon_is_full" in e for e in err.value.problems)


def test_every_grant_condition_a_rulebook_may_name_has_a_check():
    from creditline import wiring
    from creditline.grants.services import CONDITIONS
    wiring.connect()  # the composition root names every check
    from creditline.rules.grants import GRANT_CONDITIONS
    assert set(CONDITIONS) == set(GRANT_CONDITIONS)
