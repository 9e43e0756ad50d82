"""Each rulebook carries cases from the published terms; a change that breaks one is caught."""
import pytest
import yaml

from creditline.rules.cases import case_problems, run_cases
from creditline.rules.loader import parse_rulebook

from .rule_data import BOOKS, RULES, book


@pytest.mark.parametrize("name", BOOKS)
def test_every_shipped_rulebook_carries_cases_that_hold(name):
    b = book(name)
    assert len(b.cases) >= 2
    assert case_problems(b) == []


def test_a_moved_threshold_breaks_the_published_case_and_says_how():
    text = (RULES / "gctf-co.yaml").read_text()
    assert "inclusive: true" in text
    draft = parse_rulebook(text.replace("inclusive: true", "inclusive: false"), "draft")
    [problem] = case_problems(draft)
    assert problem.startswith("gctf-co 2003.1: case 'Exactly 31% less water reaches")
    assert "grant rate is 0.0, expected 0.15" in problem and "grant amount is 0.00, expected 12000.0" in problem


def test_the_published_peru_case_gives_twenty_percent_of_the_accepted_cost():
    [peru, _] = run_cases(book("gctf-pe"))
    assert peru.holds and peru.got["grant_rate"] == 0.2 and str(peru.got["grant_amount"]) == "11938.00"


def test_a_case_with_a_bad_input_or_no_cases_at_all_is_a_problem():
    doc = yaml.safe_load((RULES / "gctf-vn.yaml").read_text())
    doc["cases"] = doc["cases"][:1]
    doc["cases"][0]["input"]["loan_amount"] = "lots"
    [problem] = case_problems(parse_rulebook(yaml.safe_dump(doc), "draft"))
    assert "input loan_amount" in problem
    del doc["cases"]
    assert case_problems(parse_rulebook(yaml.safe_dump(doc), "draft")) == [
        "gctf-vn 2007.1: carries no cases; add 'cases:' with the published examples"]
