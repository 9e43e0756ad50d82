"""The demo's history: what happened on the Viet Nam line before the day ``flask demo`` runs.

``seed_demo`` leaves two submitted proposals; ``seed_story`` plays the months since, every step
through the services with the person who would take it, so the audit trail and four-eyes hold:

1. Saigon Dyeing's jet dyeing machines (the Colombian line's "water- and energy-efficient dyeing
   equipment for a textile company", on the Viet Nam line): lent 16 months ago, guaranteed,
   repaid on time, monitored for six months, verified at -55% specific water use (over 50%: the
   25% band), and the grant paid as a principal reduction today.
2. Ben Tre Coconut Products, a desiccated coconut mill (after the published Sri Lankan mill: 18 t
   less waste, about 1,000 t CO2e a year less): a coconut-shell boiler replaces the fuel-oil
   burners on the dryers; lent 11 months ago, guaranteed, and behind on its installments since
   last month, so the daily job puts the loan in arrears and tells the bank and the mill. It has
   reported the first two monitoring months; the month that ended last is due this month.
3. Can Tho Rice Milling (a plant with a fixed load, ``demo_fixed_load``): lent 14 months ago,
   baselined on a year of monthly meter readings and verified by a regression baseline (31.9%
   against specific consumption's 37.2%), confirmed, its grant waiting for the fund's approval.
4. Hai Phong Steel Rolling's proposal stays referred: on the referral desk, the NCPC's offset of its
   worse electricity use and the second opinion its USD 210,000 credit needs are open tasks.

Dates are whole months before the first of today's month, so the story is the same on every day
of the year (a month end, 29 February, New Year's Day). Every event is entered today with the
day it happened (``decided_on``, ``issued_on``, ``value_date``, ``reported_on``, ``confirmed_on``,
``approved_on``, ``paid_on``), as a fund bringing its history into the system would.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import click
from sqlalchemy import select

from .auth.models import User
from .auth.permissions import Actor
from .auth.services import create_organisation, create_user
from .enterprises.services import register_enterprise
from .extensions import db
from .finance.schedules import add_months
from .grants.services import approve_grant, pay_grant
from .guarantees.services import issue_guarantee, request_guarantee
from .jobs.daily import run_daily
from .loans.models import Loan
from .loans.repayments import record_payment
from .loans.services import approve_loan, disburse, propose_loan
from .monitoring.review import review_report
from .monitoring.services import add_evidence, submit_reports, set_plan
from .proposals.models import Proposal
from .proposals.services import create_proposal, submit_proposal
from .scoring.services import score_and_store
from .verifications.services import confirm, create_verification, propose
from .demo_fixed_load import USERS as RICE_MILL_USERS, seed_rice_mill

# email, name, organisation key, roles (README-visible: the CLI prints them with the others).
STORY_USERS = [("owner@coconut.example", "Huynh Thi Lan", "sme_coconut", ["sme"]), *RICE_MILL_USERS]
STORY_ORGANISATIONS = {"sme_coconut": ("sme", "Ben Tre Coconut Products Co.", "VN")}
COCONUT_ENTERPRISE = dict(
    legal_name="Ben Tre Coconut Products Co., Ltd.", tax_id="VN1300456789", country="VN",
    isic_code="C1030", employees=210, annual_turnover=Decimal("7800000.00"),
    total_assets=Decimal("3200000.00"), domestic_ownership_share=Decimal("1.0"),
    operating_since=date(2001, 9, 1))

# The mill dries 4,800 t of desiccated coconut a year on fuel-oil burners (340,000 L). The shell
# boiler keeps 10% of the oil for start-up and back-up: 306,000 L x 2.94 kg CO2/L (rulebook's
# IPCC factor) is about 900 t CO2e, with the lower fan power about 920 t, close to the Sri Lankan
# mill's "about 1,000 t". Shells and husk fibre once dumped are burned: 18 t less waste a year,
# the published figure. Savings: the oil (about USD 0.62/L) less forgone shell sales and ash.
COCONUT_PROPOSAL = dict(
    title="Coconut-shell boiler for the dryers", cp_options=["technology_change", "useful_by_products"],
    description="A 4 t/h shell-fired steam boiler with dryer exhaust heat recovery replaces the fuel-oil "
                "burners; the mill's own shells become its fuel and the ash goes to farms as potash.",
    investment=Decimal("190000.00"), eligible_cost=Decimal("182000.00"),
    loan_amount=Decimal("150000.00"), own_contribution=Decimal("40000.00"),
    economic_life_years=12, annual_savings=Decimal("178000.00"),
    annual_extra_operating_cost=Decimal("31000.00"), implementation_months=5,
    technology={"description": "4 t/h coconut-shell-fired steam boiler with exhaust heat recovery",
                "supplier": "Thermax Ltd.", "readiness": "commercial"},
    output_unit="t", main_indicator="fuel_oil",
    indicators=[
        dict(stream="fuel_oil", unit="L", baseline_quantity=Decimal("340000"), baseline_output=Decimal("4800"),
             projected_quantity=Decimal("34000"), projected_output=Decimal("4800")),
        dict(stream="solid_waste", unit="t", baseline_quantity=Decimal("45"), baseline_output=Decimal("4800"),
             projected_quantity=Decimal("27"), projected_output=Decimal("4800")),
        dict(stream="electricity", unit="kWh", baseline_quantity=Decimal("1150000"), baseline_output=Decimal("4800"),
             projected_quantity=Decimal("1120000"), projected_output=Decimal("4800")),
    ])

# Six months of the dyeing house after start-up (t of fabric; water, power and wastewater per t).
# The proposal's baseline is 20 m3, 180 kWh and 18.4 m3 per t on 5,000 t a year (about 417 t a
# month); the new machines run at about 9 m3, 140 kWh and 8.2 m3 per t: water -55%.
TEXTILE_MONTHS = [  # output t, water m3/t, kWh/t, wastewater m3/t
    (405, "9.1", "141", "8.3"), (421, "8.9", "139", "8.1"), (433, "9.0", "142", "8.2"),
    (418, "8.8", "138", "8.0"), (409, "9.2", "140", "8.4"), (426, "9.0", "139", "8.2"),
]
TEXTILE_LOAN = dict(principal=Decimal("80000.00"), annual_rate=Decimal("0.10"), tenor_months=60,
                    grace_months=6, frequency="monthly", method="annuity")  # grace: the 6-month installation
COCONUT_LENT_MONTHS_AGO = 11
COCONUT_LOAN = dict(principal=Decimal("150000.00"), annual_rate=Decimal("0.10"), tenor_months=48,
                    grace_months=3, frequency="monthly", method="annuity")


def _actor(email: str) -> Actor:
    return Actor.of(db.session.execute(select(User).where(User.email == email)).scalar_one())


def _proposal(title: str) -> Proposal:
    return db.session.execute(select(Proposal).where(Proposal.title == title)).scalar_one()


def _lend(proposal_id: int, terms: dict[str, Any], approved_on: date, disbursed_on: date, ref: str) -> int:
    """The officer proposes, the committee approves, the fund guarantees, the officer pays out: each on its day."""
    officer, committee, fund = _actor("officer@bank.example"), _actor("committee@bank.example"), \
        _actor("admin@fund.example")
    loan = propose_loan(officer, {**terms, "proposal_id": proposal_id})
    approve_loan(committee, loan.id, "Cash flow covers the installments; collateral and guarantee agreed",
                 on=approved_on)
    g = request_guarantee(officer, loan.id, {"proceeds_to_approved_items": True})
    issue_guarantee(fund, g.id, on=approved_on + timedelta(days=5))
    disburse(officer, loan.id, {"amount": terms["principal"], "value_date": disbursed_on, "reference": ref})
    return loan.id


def _reported_on(period_end: date) -> date:
    """The SME sends each month's figures ten days after the month ends."""
    return period_end + timedelta(days=10)


def _pay_installments(loan_id: int, until: date) -> int:
    """The officer books each installment due on or before ``until``, paid in full on its due date."""
    officer = _actor("officer@bank.example")
    paid = 0
    for row in [r for r in db.session.get(Loan, loan_id).installments if r.due_date <= until]:
        record_payment(officer, loan_id, {"amount": row.unpaid, "currency": "USD", "value_date": row.due_date,
                                          "reference": f"INST-{loan_id}-{row.number:02d}"})
        paid += 1
    return paid


def _textile_reports() -> list[dict[str, Any]]:
    def qty(output: int, per_t: str) -> str:
        return str((output * Decimal(per_t)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return [{"period": f"M{k + 1:02d}", "production_output": str(out),
             "quantities": [{"stream": "water", "unit": "m3", "quantity": qty(out, water)},
                            {"stream": "electricity", "unit": "kWh", "quantity": qty(out, kwh)},
                            {"stream": "wastewater", "unit": "m3", "quantity": qty(out, waste)}]}
            for k, (out, water, kwh, waste) in enumerate(TEXTILE_MONTHS)]


def _textile(month: date, today: date) -> dict[str, Any]:
    """Story 1: lent, repaid on time, monitored, verified at -55% water, grant paid off the principal."""
    p = _proposal("Low liquor ratio jet dyeing machines")
    disbursed_on = add_months(month, -16)
    loan_id = _lend(p.id, TEXTILE_LOAN, disbursed_on - timedelta(days=14), disbursed_on, "DISB-SDF-001")
    paid = _pay_installments(loan_id, today)
    verifier, senior, fund = _actor("verifier@ncpc.example"), _actor("senior@ncpc.example"), \
        _actor("admin@fund.example")
    # Baseline: the year of metered data before the machines; reporting defaults to the rulebook's
    # follow-up (start-up = disbursement + 6 implementation months, then 3 months, 6 monthly periods).
    plan = set_plan(verifier, p.id, {"baseline_start": add_months(disbursed_on, -12),
                              "baseline_end": disbursed_on - timedelta(days=1), "ipmvp_option": "B",
                              "notes": "Water and wastewater from the plant meters, power from EVN bills"})
    plan_ends = {q.label: q.end for q in plan.periods}
    reports = submit_reports(_actor("owner@textile.example"), p.id,
                             [{**r, "reported_on": _reported_on(plan_ends[r["period"]])} for r in _textile_reports()],
                             source="form")
    meters = "period,water_m3\n" + "".join(f"{r['period']},{r['quantities'][0]['quantity']}\n"
                                            for r in _textile_reports())
    add_evidence(_actor("owner@textile.example"), reports[-1].id, meters.encode(), "water-meter-readings.csv",
                 "text/csv", "Monthly readings of the dyeing house water meter")
    for r in reports:
        review_report(verifier, r.id, "accept", "Figures agree with the meter log")
    v = create_verification(verifier, p.id, {"ipmvp_option": "B"})
    # Proposed, confirmed and approved last month (after the last report, sent on the 10th); paid today.
    last_month = add_months(month, -1)
    propose(verifier, v.id, "verified", "Meter readings, production records and EVN bills agree",
            on=last_month + timedelta(days=16))
    confirm(senior, v.id, "Checked the meter log against the bills; agreed", on=last_month + timedelta(days=19))
    grant = v.grant
    approve_grant(fund, grant.id, on=last_month + timedelta(days=24))
    pay_grant(fund, grant.id, f"GR-SDF-{today:%Y%m}", on=today)
    return {"loan_id": loan_id, "installments_paid": paid, "verification_id": v.id, "grant_id": grant.id,
            "grant_amount": str(grant.amount)}


def _coconut(month: date) -> dict[str, Any]:
    """Story 2: a new eligible proposal, lent and guaranteed, then installments missed since last month."""
    from .demo import DEMO_PASSWORD

    (kind, name, country), = STORY_ORGANISATIONS.values()
    org = create_organisation(None, kind, name, country)
    for email, person, _, roles in STORY_USERS[:1]:
        create_user(None, email=email, name=person, password=DEMO_PASSWORD, organisation_id=org.id, roles=roles)
    owner = _actor(STORY_USERS[0][0])
    enterprise = register_enterprise(owner, COCONUT_ENTERPRISE)
    line_id = _proposal("Low liquor ratio jet dyeing machines").credit_line_id
    p = create_proposal(owner, {**COCONUT_PROPOSAL, "credit_line_id": line_id, "enterprise_id": enterprise.id,
                                "currency": "USD"})
    disbursed_on = add_months(month, -COCONUT_LENT_MONTHS_AGO)
    submit_proposal(owner, p.id, None, score_and_store, submitted_on=add_months(disbursed_on, -1))
    if p.status != "eligible":
        raise click.ClickException(f"the coconut mill's proposal scored {p.status}, not eligible; fix its figures")
    loan_id = _lend(p.id, COCONUT_LOAN, disbursed_on - timedelta(days=10), disbursed_on, "DISB-BTC-001")
    # Paid up to the installment two months ago; nothing since (a dryer was down for weeks and
    # cash ran short), so last month's installment is past due.
    paid = _pay_installments(loan_id, add_months(month, -2))
    # The rulebook's follow-up: start-up 5 months after the disbursement, reports from 3 months
    # later, i.e. three months before this one. The two oldest months are reported; the month
    # that ended last is due by the 15th of this one.
    plan = set_plan(_actor("verifier@ncpc.example"), p.id, {
        "baseline_start": add_months(disbursed_on, -12), "baseline_end": disbursed_on - timedelta(days=1),
        "ipmvp_option": "B", "notes": "Fuel oil from delivery notes and tank dips, waste from the weighbridge"})
    sent = [q for q in plan.periods if q.end < add_months(month, -1)]
    submit_reports(owner, p.id, [{**_coconut_month(q.label, k), "reported_on": _reported_on(q.end)}
                                 for k, q in enumerate(sent)], source="form")
    return {"proposal_id": p.id, "loan_id": loan_id, "installments_paid": paid, "reports_sent": len(sent)}


def _coconut_month(label: str, k: int) -> dict[str, Any]:
    """A month of the mill on the shell boiler: about 400 t of coconut, a tenth of the old fuel oil."""
    output = 396 + 9 * k
    return {"period": label, "production_output": str(output), "quantities": [
        {"stream": "fuel_oil", "unit": "L", "quantity": str(7 * output)},
        {"stream": "solid_waste", "unit": "t", "quantity": str((Decimal("0.0056") * output).quantize(Decimal("0.1")))},
        {"stream": "electricity", "unit": "kWh", "quantity": str(233 * output)}]}


def seed_story(today: date) -> dict[str, Any]:
    """Play the demo line's history up to ``today`` through the services (after ``seed_demo``)."""
    month = today.replace(day=1)
    textile = _textile(month, today)
    coconut = _coconut(month)
    rice_mill = seed_rice_mill(month, today, _lend, _pay_installments, _actor)
    daily = run_daily(today)
    return {"textile": textile, "coconut": coconut, "rice_mill": rice_mill, "daily_job": daily,
            "coconut_loan_status": db.session.get(Loan, coconut["loan_id"]).status}
