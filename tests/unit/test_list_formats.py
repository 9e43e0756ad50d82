"""Numbers and labels as people write them, and a list's headers with their units."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from marshmallow import ValidationError
from sqlalchemy import column

from creditline.list_exports import cell_value, header
from creditline.listing import AMOUNTS, DATES, Column, Filter, ListSpec
from creditline.templating import money, percent, quantity
from creditline.vocabulary import label


@pytest.mark.parametrize("code,text", [
    ("fuel_oil", "Fuel oil"), ("pro_forma", "Pro-forma"), ("in_arrears", "In arrears"), ("lpg", "LPG"),
    ("technically_reviewed", "Technically reviewed"), ("principal_reduction", "Reduction of the loan principal"),
    ("owner@textile.example", "owner@textile.example"), ("Mekong Partner Bank", "Mekong Partner Bank"),
    (None, ""),
])
def test_codes_read_as_labels_and_names_stay_as_written(code, text):
    assert label(code) == text


def test_money_has_thousands_separators_two_decimals_and_its_currency():
    assert money(Decimal("80000"), "USD") == "USD 80,000.00"
    assert money("7617.456", "USD") == "USD 7,617.46"
    assert money(Decimal("-1250.5"), None) == "-1,250.50"
    assert money(None, "USD") == ""


def test_shares_read_as_percent_and_quantities_with_units():
    assert percent(Decimal("0.3")) == "30.0 %"
    assert percent("0.1234", 2) == "12.34 %"
    assert percent(None) == ""
    assert quantity(Decimal("1250.5000"), "m3") == "1,250.5 m3"
    assert quantity(Decimal("92000"), "t") == "92,000 t"


SPEC = ListSpec(
    name="things", title="Things",
    columns=(Column("amount", "Amount", lambda r: r["amount"], column("amount"), kind="money",
                    currency=lambda r: r["cur"]),
             Column("share", "Share", lambda r: r["share"], column("share"), kind="percent"),
             Column("tenor", "Tenor", lambda r: r["tenor"], kind="number", unit="months"),
             Column("status", "Status", lambda r: r["status"], kind="code")),
    filters=(Filter("day", "Day", DATES, ()), Filter("amount", "Amount", AMOUNTS, ())),
    default_sort="-amount", tiebreak=None,
)


def test_headers_carry_the_currency_the_unit_or_percent():
    amount, share, tenor, status = SPEC.columns
    assert header(amount, {"USD"}) == "Amount (USD)"
    assert header(amount, {"USD", "VND"}) == "Amount (see Currency)"
    assert header(share, set()) == "Share (%)" and header(tenor, set()) == "Tenor (months)"
    assert header(status, set()) == "Status"
    row = {"amount": Decimal("1.50"), "cur": "USD", "share": Decimal("0.5000"), "tenor": 60, "status": "fuel_oil"}
    assert [cell_value(c, row) for c in SPEC.columns] == [Decimal("1.50"), Decimal("50"), 60, "Fuel oil"]


def test_ranges_upside_down_are_refused_naming_the_upper_bound():
    schema = SPEC.args_schema()()
    with pytest.raises(ValidationError) as bad_days:
        schema.load({"day_from": "2026-05-02", "day_to": "2026-05-01"})
    assert "day_to" in bad_days.value.messages
    with pytest.raises(ValidationError) as bad_amounts:
        schema.load({"amount_min": "10", "amount_max": "9.99"})
    assert "amount_max" in bad_amounts.value.messages
    ok = schema.load({"day_from": "2026-05-01", "day_to": "2026-05-01", "sort": "share", "dir": "asc"})
    assert ok["day_from"] == date(2026, 5, 1) and ok["sort"] == "share"
