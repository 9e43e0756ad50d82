"""Eligible cost items per rulebook: what counts, what is left out and why (pure, no app)."""
from decimal import Decimal

import pytest

from creditline.rules import engine
from creditline.rules.costs import COST_CATEGORIES, disagreement, split_costs
from creditline.rules.loader import RulebookError, parse_rulebook

from .rule_data import book, row

EVERY = [{"category": c, "description": c, "amount": "100.00"} for c in COST_CATEGORIES]


def test_viet_nam_counts_the_published_costs_and_leaves_out_the_rest():
    split = split_costs(EVERY, book("gctf-vn").eligible_costs, "gctf-vn 2007.1")
    assert [x["category"] for x in split.counted] == ["equipment", "installation", "working_capital", "consultants",
                                                      "ncpc_fees", "bank_fees", "import_taxes"]
    assert [x["category"] for x in split.excluded] == ["own_staff", "land", "buildings", "maintenance", "vehicles", "other"]
    assert split.eligible_total == Decimal("700.00")
    assert split.excluded[0]["reason"] == "own staff is not an eligible cost under gctf-vn 2007.1"


def test_ebrd_excludes_land_and_vehicles_only():
    split = split_costs(EVERY, book("ebrd-ee").eligible_costs, "ebrd-ee 2024.1")
    assert [x["category"] for x in split.excluded] == ["land", "vehicles"]
    assert split.eligible_total == Decimal("1100.00")


def test_a_stated_eligible_cost_must_agree_with_the_items():
    split = split_costs(EVERY[:2], COST_CATEGORIES, "x")
    assert disagreement(None, split) is None and disagreement("200", split) is None
    assert "add up to 200.00" in disagreement("199.99", split)


def test_the_engine_scores_the_derived_eligible_cost():
    items = [{"category": "equipment", "amount": "60000.00"}, {"category": "vehicles", "amount": "40000.00"}]
    b = book("gctf-vn")
    out = engine.assess(b, row(eligible_cost=None, cost_items=items))
    assert out["eligible_costs"]["total"] == Decimal("60000.00")
    assert out["trace"][0]["rule"] == "eligible-costs" and "vehicles" in out["trace"][0]["message"]
    assert engine.cost_problems(b, row(cost_items=items)) == {"eligible_cost": [
        "the eligible cost 95000.00 disagrees with the eligible cost items, which add up to 60000.00; "
        "leave it out to have it computed"]}


def test_a_rulebook_naming_an_unknown_category_is_refused():
    text = book("gctf-vn").text.replace("categories: [equipment,", "categories: [caviar, equipment,")
    with pytest.raises(RulebookError) as err:
        parse_rulebook(text, "x.yaml")
    assert "eligible_costs" in str(err.value)
