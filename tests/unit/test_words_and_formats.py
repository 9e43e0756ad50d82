"""Codes and conditions as people read them: rulebook conditions in words, audit events and values,
ISIC sectors with their names, quantities with separators and units."""
from __future__ import annotations

from decimal import Decimal

import pytest

from creditline.rules.in_words import condition_in_words, message_in_words
from creditline.templating import quantity
from creditline.vocabulary import event_label, readable, sector


@pytest.mark.parametrize("condition, words", [
    ("main_improvement >= 0.20", "improvement of the main indicator is at least 20%"),
    ("loan_amount >= 10000 and loan_amount <= 1000000",
     "loan requested is at least 10,000 USD and loan requested is at most 1,000,000 USD"),
    ("simple_payback_years <= 3", "simple payback is at most 3 years"),
    ("readiness == 'commercial'", "technology readiness is commercial"),
    ('main_indicator in ["natural_gas", "fuel_oil", "lpg"]', "main indicator is one of natural gas, fuel oil, LPG"),
    ("'good_housekeeping' in cp_options", "cleaner-production option types include good housekeeping"),
    ("0.1 < own_share", "own contribution as a share of the investment is over 10%"),
    ("employees <= 249 and (npv > 0 or irr >= 0.12)",
     "number of employees is at most 249 and (net present value is over 0 USD or internal rate of return is at least 12%)"),
    ("missing(irr)", "internal rate of return is not known"),
    ("true", "always"),
])
def test_a_condition_reads_in_words(condition, words):
    assert condition_in_words(condition, "USD") == words


def test_an_unreadable_condition_keeps_its_text():
    assert condition_in_words("npv >", "USD") == "npv >"


def test_a_rule_message_names_the_value_it_will_show():
    assert message_in_words("credit of {loan_amount} is over USD 200,000") == \
        "credit of the loan requested is over USD 200,000"
    assert message_in_words("falls {value|pct}") == "falls the value"


def test_audit_events_and_values_read_as_labels():
    assert event_label("loan.in_arrears") == "Loan: in arrears"
    assert event_label("referral_task.decided") == "Referral task: decided"
    assert event_label("proposal.sme") == "Proposal: SME"  # an acronym keeps its capitals
    assert readable({"baseline_quantity": "12.5", "stream": "fuel_oil"}) == "Baseline quantity: 12.5; Stream: Fuel oil"
    assert readable(["pro_forma", "quotation"]) == "Pro-forma, Quotation"
    assert (readable(None), readable(True), readable([])) == ("—", "yes", "none")
    assert readable("owner@textile.example") == "owner@textile.example"


def test_a_sector_shows_its_division_name_where_known():
    assert sector("ISIC C13") == "C13 Textiles"
    assert sector("C1313") == "C13 Textiles"
    assert sector("ISIC A01") == "A01"  # no name held: the code alone
    assert sector(None) == ""


def test_quantities_have_separators_and_units():
    assert quantity(Decimal("1234567"), "kWh") == "1,234,567 kWh"
    assert quantity("1250.50", "m3") == "1,250.5 m3"
    assert quantity(None, "t") == ""
