"""``flask demo``: seed a credit line modelled on the Viet Nam GCTF, its partners and users.

The story follows domain-facts.md: the Swiss-funded Green Credit Trust Fund (USD 5 million: 2
million for guarantees, 3 million for reimbursements) with the Viet Nam Cleaner Production
Centre, one partner bank, and two SMEs like those the line financed (textile dyeing, metal
rolling). Every demo user signs in with DEMO_PASSWORD. Unless ``--no-story``, the command then
plays the line's history up to today (:mod:`creditline.demo_story`): a paid grant, a loan in arrears.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .auth.models import User
from .auth.permissions import Actor
from .auth.services import create_organisation, create_user
from .creditlines.services import create_credit_line
from .enterprises.services import register_enterprise
from .extensions import db
from .finance.schedules import add_months
from .proposals.services import create_proposal, submit_proposal
from .rulebooks import registry
from .scoring.services import score_and_store
from . import clock

DEMO_PASSWORD = "green-credit-demo"

DEMO_USERS = [
    # email, name, organisation key, roles
    ("admin@fund.example", "Anna Keller", "fund", ["fund_admin"]),
    ("auditor@fund.example", "Marc Weber", "fund", ["auditor"]),
    ("officer@bank.example", "Nguyen Van An", "bank", ["bank_officer"]),
    ("committee@bank.example", "Tran Thi Binh", "bank", ["credit_committee"]),
    ("verifier@ncpc.example", "Le Minh Chau", "ncpc", ["verifier"]),
    ("senior@ncpc.example", "Pham Quoc Dung", "ncpc", ["senior_verifier"]),
    ("owner@textile.example", "Vo Thi Hoa", "sme_textile", ["sme"]),
    ("owner@rolling.example", "Dang Van Khoa", "sme_rolling", ["sme"]),
]

ORGANISATIONS = {
    "fund": ("fund", "Green Credit Trust Fund", "CH"),
    "bank": ("bank", "Mekong Partner Bank", "VN"),
    "ncpc": ("ncpc", "Viet Nam Cleaner Production Centre", "VN"),
    "sme_textile": ("sme", "Saigon Dyeing & Finishing Co.", "VN"),
    "sme_rolling": ("sme", "Hai Phong Steel Rolling Co.", "VN"),
}

ENTERPRISES = {
    "sme_textile": dict(legal_name="Saigon Dyeing & Finishing Co., Ltd.", tax_id="VN0301234567",
                        country="VN", isic_code="C1313", employees=180,
                        annual_turnover=Decimal("6400000.00"), total_assets=Decimal("3900000.00"),
                        domestic_ownership_share=Decimal("1.0"), operating_since=date(2004, 3, 1)),
    "sme_rolling": dict(legal_name="Hai Phong Steel Rolling Co., Ltd.", tax_id="VN0209876543",
                        country="VN", isic_code="C2410", employees=240,
                        annual_turnover=Decimal("9100000.00"), total_assets=Decimal("4700000.00"),
                        domestic_ownership_share=Decimal("0.8"), operating_since=date(1998, 6, 15)),
}


# Proposals drawn from the published cases: water- and energy-efficient dyeing equipment for a
# textile company, and a rolling mill's switch from chemical to mechanical pre-treatment (both
# financed by the Colombian line; here on the Viet Nam line). The rolling mill's credit exceeds
# USD 200,000, so the Viet Nam rules refer it for a second opinion.
# The dyeing proposal was sent to the bank 17 months before the month the demo runs in (its loan
# was paid out a month later, see demo_story); the rolling mill's proposal is sent today.
SUBMITTED_MONTHS_AGO = {"Low liquor ratio jet dyeing machines": 17}

DEMO_PROPOSALS = {
    "owner@textile.example": [dict(
        title="Low liquor ratio jet dyeing machines", cp_options=["technology_change"],
        description="Replace four 1:12 winch dyeing machines with 1:5 jet machines and reuse rinse water.",
        investment=Decimal("100000.00"), eligible_cost=Decimal("95000.00"),
        loan_amount=Decimal("80000.00"), own_contribution=Decimal("20000.00"),
        economic_life_years=10, annual_savings=Decimal("25000.00"),
        annual_extra_operating_cost=Decimal("5000.00"), implementation_months=6,
        technology={"description": "Low liquor ratio jet dyeing machines (1:5)",
                    "supplier": "Thies GmbH", "readiness": "commercial",
                    "class": "textile_dyeing_low_liquor_ratio"},
        output_unit="t", main_indicator="water",
        indicators=[
            dict(stream="water", unit="m3", baseline_quantity=Decimal("100000"), baseline_output=Decimal("5000"),
                 projected_quantity=Decimal("45000"), projected_output=Decimal("5000")),
            dict(stream="electricity", unit="kWh", baseline_quantity=Decimal("900000"), baseline_output=Decimal("5000"),
                 projected_quantity=Decimal("700000"), projected_output=Decimal("5000")),
            dict(stream="wastewater", unit="m3", baseline_quantity=Decimal("92000"), baseline_output=Decimal("5000"),
                 projected_quantity=Decimal("41000"), projected_output=Decimal("5000")),
        ])],
    "owner@rolling.example": [dict(
        title="Mechanical descaling instead of acid pickling", cp_options=["technology_change", "input_material_change"],
        description="Shot blasting and brushing replace hydrochloric acid pickling before cold rolling.",
        investment=Decimal("265000.00"), eligible_cost=Decimal("250000.00"),
        loan_amount=Decimal("210000.00"), own_contribution=Decimal("55000.00"),
        economic_life_years=12, annual_savings=Decimal("68000.00"),
        annual_extra_operating_cost=Decimal("9000.00"), implementation_months=8,
        technology={"description": "Shot blasting line with brushing unit", "supplier": "Wheelabrator",
                    "readiness": "commercial"},
        output_unit="t", main_indicator="chemicals",
        indicators=[
            dict(stream="chemicals", unit="t", baseline_quantity=Decimal("410"), baseline_output=Decimal("60000"),
                 projected_quantity=Decimal("55"), projected_output=Decimal("60000")),
            dict(stream="hazardous_waste", unit="t", baseline_quantity=Decimal("520"), baseline_output=Decimal("60000"),
                 projected_quantity=Decimal("95"), projected_output=Decimal("60000")),
            dict(stream="electricity", unit="kWh", baseline_quantity=Decimal("2100000"), baseline_output=Decimal("60000"),
                 projected_quantity=Decimal("2350000"), projected_output=Decimal("60000")),
        ])],
}


def seed_demo() -> dict[str, int]:
    """Create the demo organisations, users, enterprises and the Viet Nam credit line."""
    from .rulebook_versions.services import import_files

    # The shipped files are the first published versions; later ones are drafted and published in the app.
    import_files()
    orgs = {key: create_organisation(None, *spec) for key, spec in ORGANISATIONS.items()}
    users = {}
    for email, name, org_key, roles in DEMO_USERS:
        users[email] = create_user(None, email=email, name=name, password=DEMO_PASSWORD,
                                   organisation_id=orgs[org_key].id, roles=roles)
    book = registry().latest("gctf-vn")
    if book is None:
        raise click.ClickException("rules/ holds no valid gctf-vn rulebook; the demo line needs it")
    line = create_credit_line(None, dict(
        name="GCTF Viet Nam", country="VN", currency="USD", rulebook_id=book.id,
        rulebook_version=book.version, ncpc_id=orgs["ncpc"].id, fund_id=orgs["fund"].id,
        bank_ids=[orgs["bank"].id], guarantee_capacity=Decimal("2000000.00"),
        grant_budget=Decimal("3000000.00"), status="open", opened_on=date(2007, 1, 1)))
    enterprises = {}
    for key, data in ENTERPRISES.items():
        owner = next(u for u in users.values() if u.organisation_id == orgs[key].id)
        enterprises[owner.email] = register_enterprise(Actor.of(owner), data)
    submitted = 0
    for email, proposals in DEMO_PROPOSALS.items():
        owner = Actor.of(users[email])
        for data in proposals:
            p = create_proposal(owner, {**data, "credit_line_id": line.id, "enterprise_id": enterprises[email].id,
                                        "currency": line.currency})
            months = SUBMITTED_MONTHS_AGO.get(data["title"])
            on = add_months(clock.today().replace(day=1), -months) if months else None
            submit_proposal(owner, p.id, None, score_and_store, submitted_on=on)
            submitted += 1
    return {"organisations": len(orgs), "users": len(users), "credit_lines": 1,
            "enterprises": len(ENTERPRISES), "proposals_submitted": submitted, "credit_line_id": line.id}


@click.command("demo")
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the schema first.")
@click.option("--no-story", is_flag=True, help="Only the submitted proposals: skip the loans, grant and arrears.")
@with_appcontext
def demo_command(no_migrate: bool, no_story: bool) -> None:
    """Upgrade the schema and seed the demo data (once; a second run changes nothing)."""
    from .demo_story import STORY_USERS, seed_story

    if not no_migrate:
        from flask_migrate import upgrade
        upgrade()
    if db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])):
        click.echo("demo data already present; nothing changed")
        return
    counts = seed_demo()
    click.echo(f"demo data seeded: {counts}")
    users = list(DEMO_USERS)
    if not no_story:
        story = seed_story(clock.today())
        users += STORY_USERS
        click.echo(f"story played to {clock.today()}: dyeing grant {story['textile']['grant_amount']} paid off "
                   f"loan {story['textile']['loan_id']}; coconut mill's loan {story['coconut']['loan_id']} is "
                   f"{story['coconut_loan_status']}")
    click.echo(f"sign in at http://127.0.0.1:5000/login with any of these (password {DEMO_PASSWORD}):")
    for email, _, _, roles in users:
        click.echo(f"  {email:28} {', '.join(roles)}")
