"""The demo's plant with a fixed load, verified by a regression baseline (issue 16).

Can Tho Rice Milling mills paddy with about 45,000 kWh a month that does not follow output
(compressed air kept up, husk conveyors, dryer fans, lighting) plus 60 kWh per tonne. High-
efficiency motors with variable speed drives and a new compressor cut the fixed load to 40,000
kWh and the variable use to 36 kWh/t, while output grows by about 30%. Specific consumption would
read 90 → 56.5 kWh/t (-37.2%); against the baseline model at the new output the saving is 31.9%
(lower bound 30.4% at 90%), the figure an M&V professional would sign, still over the Viet Nam
line's 30% band.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import click
from sqlalchemy import select

from .auth.services import create_organisation, create_user
from .enterprises.services import register_enterprise
from .extensions import db
from .finance.schedules import add_months
from .monitoring.baseline import set_baseline
from .monitoring.review import review_report
from .monitoring.services import set_plan, submit_reports
from .proposals.models import Proposal
from .proposals.services import create_proposal, submit_proposal
from .scoring.services import score_and_store
from .verifications.services import confirm, create_verification, propose

USERS = [("owner@ricemill.example", "Tran Van Minh", "sme_ricemill", ["sme"])]
ORGANISATION = ("sme", "Can Tho Rice Milling Co.", "VN")
ENTERPRISE = dict(
    legal_name="Can Tho Rice Milling Co., Ltd.", tax_id="VN1800234567", country="VN", isic_code="C1061",
    employees=85, annual_turnover=Decimal("5200000.00"), total_assets=Decimal("2100000.00"),
    domestic_ownership_share=Decimal("1.0"), operating_since=date(2008, 3, 1))
PROPOSAL = dict(
    title="Efficient motors, drives and compressor for the rice mill", cp_options=["technology_change"],
    description="IE3 motors with variable speed drives on the hullers, whiteners and husk conveyors, and a "
                "variable-speed screw compressor in place of two load/unload units.",
    investment=Decimal("120000.00"), eligible_cost=Decimal("115000.00"), loan_amount=Decimal("90000.00"),
    own_contribution=Decimal("30000.00"), economic_life_years=12, annual_savings=Decimal("60000.00"),
    annual_extra_operating_cost=Decimal("2000.00"), implementation_months=4,
    technology={"description": "IE3 motors with VSDs; variable-speed screw compressor",
                "supplier": "ABB Viet Nam", "readiness": "commercial"},
    output_unit="t", main_indicator="electricity",
    indicators=[dict(stream="electricity", unit="kWh", baseline_quantity=Decimal("1620000"),
                     baseline_output=Decimal("18000"), projected_quantity=Decimal("1020000"),
                     projected_output=Decimal("18000"))])
LOAN = dict(principal=Decimal("90000.00"), annual_rate=Decimal("0.10"), tenor_months=36, grace_months=4,
            frequency="monthly", method="annuity")
LENT_MONTHS_AGO = 14
# Baseline months: paddy milled (t) about 1,500 a month with the harvest seasons; kWh = 45,000 + 60 t
# with the meter's scatter. Reporting months: about 30% more paddy; kWh = 40,000 + 36 t.
BASELINE_T = (1380, 1520, 1610, 1450, 1390, 1560, 1640, 1480, 1420, 1530, 1590, 1430)
BASELINE_SCATTER = (600, -450, 300, -700, 250, 500, -350, 400, -600, 150, -300, 200)
REPORTING_T = (1930, 1980, 1890, 2010)


def _months(first: date) -> list[dict[str, Any]]:
    out = []
    for k, (t, scatter) in enumerate(zip(BASELINE_T, BASELINE_SCATTER)):
        start = add_months(first, k)
        out.append({"start": start, "end": add_months(start, 1) - timedelta(days=1), "production_output": str(t),
                    "quantities": {"electricity": str(45000 + 60 * t + scatter)}})
    return out


def seed_rice_mill(month: date, today: date, lend: Any, pay: Any, actor: Any) -> dict[str, Any]:
    """Lend, baseline a year of monthly meter readings, report, and verify by regression (confirmed);
    the mill pays every installment on time (``lend``, ``pay``, ``actor``: the story's helpers)."""
    from .demo import DEMO_PASSWORD

    org = create_organisation(None, *ORGANISATION)
    for email, person, _, roles in USERS:
        create_user(None, email=email, name=person, password=DEMO_PASSWORD, organisation_id=org.id, roles=roles)
    owner = actor(USERS[0][0])
    verifier, senior = actor("verifier@ncpc.example"), actor("senior@ncpc.example")
    enterprise = register_enterprise(owner, ENTERPRISE)
    line_id = db.session.scalar(select(Proposal.credit_line_id).where(
        Proposal.title == "Low liquor ratio jet dyeing machines"))
    p = create_proposal(owner, {**PROPOSAL, "credit_line_id": line_id, "enterprise_id": enterprise.id,
                                "currency": "USD"})
    disbursed_on = add_months(month, -LENT_MONTHS_AGO)
    submit_proposal(owner, p.id, None, score_and_store, submitted_on=add_months(disbursed_on, -1))
    if p.status != "eligible":
        raise click.ClickException(f"the rice mill's proposal scored {p.status}, not eligible; fix its figures")
    loan_id = lend(p.id, LOAN, disbursed_on - timedelta(days=12), disbursed_on, "DISB-CTR-001")
    pay(loan_id, today)
    plan = set_plan(verifier, p.id, {
        "baseline_start": add_months(disbursed_on, -12), "baseline_end": disbursed_on - timedelta(days=1),
        "ipmvp_option": "C", "reporting_periods": len(REPORTING_T),
        "notes": "Whole-facility electricity from the EVN meter; paddy milled from the weighbridge"})
    set_baseline(verifier, p.id, _months(add_months(disbursed_on, -12)), source="form")
    reports = submit_reports(owner, p.id, [
        {"period": q.label, "production_output": str(t), "reported_on": q.end + timedelta(days=10),
         "quantities": [{"stream": "electricity", "unit": "kWh", "quantity": str(40000 + 36 * t)}]}
        for q, t in zip(plan.periods, REPORTING_T)], source="form")
    for r in reports:
        review_report(verifier, r.id, "accept", "Agrees with the EVN bills and the weighbridge log")
    v = create_verification(verifier, p.id, {"ipmvp_option": "C", "models": [
        {"indicator": "electricity", "method": "regression"}]})
    propose(verifier, v.id, "verified", "Regression baseline on paddy milled: the fixed load makes specific "
                                        "consumption overstate the saving", on=add_months(month, -1) + timedelta(days=17))
    confirm(senior, v.id, "Fit and adjusted baseline checked", on=add_months(month, -1) + timedelta(days=20))
    return {"proposal_id": p.id, "loan_id": loan_id, "verification_id": v.id,
            "improvement": v.result["main_improvement"], "grant_status": v.grant.status if v.grant else None}
