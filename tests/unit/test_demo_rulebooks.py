"""The four shipped rulebooks load and score the demo proposals (built from the published cases)."""
import pytest

from creditline.demo import DEMO_PROPOSALS, ENTERPRISES
from creditline.rules import engine

from .rule_data import BOOKS, book

OWNERS = {"owner@textile.example": "sme_textile", "owner@rolling.example": "sme_rolling"}


@pytest.mark.parametrize("name", BOOKS)
def test_demo_proposals_score_under_every_rulebook(name):
    b = book(name)
    rows = [{**data, "currency": b.currency, "enterprise": ENTERPRISES[OWNERS[email]], "as_of": "2026-11-23"}
            for email, proposals in DEMO_PROPOSALS.items() for data in proposals]
    for r in rows:
        assert engine.validate_proposal_row(r) == {}
    results = engine.assess_batch(b, rows)
    assert len(results) == 2
    for r in results:
        assert r["decision"] in {"eligible", "referred", "ineligible"} and r["trace"][-1]["rule"] == "decision"


def test_viet_nam_demo_outcomes():
    b = book("gctf-vn")
    textile, rolling = (engine.assess(b, {**data, "enterprise": ENTERPRISES[OWNERS[email]], "as_of": "2026-11-23"})
                        for email, proposals in DEMO_PROPOSALS.items() for data in proposals)
    assert textile["decision"] == "eligible" and textile["fast_track"] == "textile_dyeing_low_liquor_ratio"
    # The rolling mill's electricity rises, so the NCPC must set the offset; its credit needs a second opinion.
    assert rolling["decision"] == "referred" and rolling["failed_rules"] == ["no-side-effects"]
    assert any(t["rule"] == "second-opinion" for t in rolling["trace"])


def test_ebrd_excludes_sectors_by_isic_class_with_or_without_section_letter():
    b = book("ebrd-ee")
    data = DEMO_PROPOSALS["owner@textile.example"][0]
    for code in ("C1101", "1101", "R9200"):
        r = engine.assess(b, {**data, "currency": "EUR", "enterprise": {**ENTERPRISES["sme_textile"], "isic_code": code}})
        assert "excluded-sectors" in r["failed_rules"]
