"""Shares are typed in percent on the page forms; the services (and the API) keep fractions."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.percent_fields import fraction, percent_text

FORM = {"legal_name": "Can Tho Rice Milling Co., Ltd.", "tax_id": "VN1800123456", "country": "VN",
        "isic_code": "C1061", "employees": "120", "annual_turnover": "5200000", "total_assets": "3100000",
        "operating_since": "2009-05-01"}


def test_percent_text_converts_both_ways_and_leaves_garbage_to_the_schema():
    assert [fraction(t) for t in ("30", "30 %", "12.5%", " 100 ", "0")] == ["0.3", "0.3", "0.125", "1", "0"]
    assert fraction("eighty") == "eighty" and fraction("NaN") == "NaN"
    assert percent_text(Decimal("0.8000")) == "80" and percent_text(0.125) == "12.5" and percent_text(None) == ""


def test_the_ownership_share_is_entered_and_shown_in_percent(app, session_for):
    sme = session_for("sme")
    bad = sme.post("/enterprises/new", data={**FORM, "domestic_ownership_share": "150"})
    assert bad.status_code == 422 and "a percentage from 0 to 100" in bad.get_data(as_text=True)
    assert 'value="150"' in bad.get_data(as_text=True)  # what was typed, not a fraction
    assert sme.post("/enterprises/new", data={**FORM, "domestic_ownership_share": "80"}).status_code == 302
    with app.app_context():
        ent = db.session.execute(select(Enterprise).where(Enterprise.tax_id == "VN1800123456")).scalar_one()
        assert ent.domestic_ownership_share == Decimal("0.8")
        ent_id = ent.id
    assert 'value="80"' in sme.get(f"/enterprises/{ent_id}/edit").get_data(as_text=True)
