"""Every page form, posted empty or wrong: the answer lists each problem at the top by the field's label,
links it to the input on the page, and never shows a field path or Python's text.

One walk through the lending and verification chain (the forms only appear in the right states), so
each form is posted once in the state where people use it.
"""
from __future__ import annotations

import html as htmllib
import io
import re
from datetime import timedelta

from .test_referrals import ROLLING, tasks_of
from .test_verification_chain import disbursed_on, planned, reported, verified

# A field path (indicators.0.unit, quantities.1), Python's repr of a value, marshmallow's defaults.
FORBIDDEN = ("Decimal(", "datetime.date(", "Missing data for required field", "Not a valid", "_schema",
             "Field may not be null", "Unknown field")
PATH = re.compile(r"\b[a-z_]+\.\d+(\.[a-z_]+)?\b")
SUMMARY = re.compile(r'<div class="error-summary".*?</ul>', re.S)
ITEM = re.compile(r"<li>(?:<a href=\"#([^\"]+)\">([^<]+)</a>|<strong>([^<]+)</strong>): (.*?)</li>", re.S)
FIELD_MESSAGE = re.compile(r'<small class="error"[^>]*>([^<]*)</small>')


def problems_of(res, where: str) -> list[tuple[str, str]]:
    """Check one refused form's answer; return its (label, message) pairs."""
    page = res.get_data(as_text=True)
    assert res.status_code in (409, 422), (where, res.status_code)
    summary = SUMMARY.search(page)
    assert summary, f"{where}: no error summary"
    items = ITEM.findall(summary.group(0))
    assert items, f"{where}: an empty summary"
    found = []
    for field_id, linked, plain, message in items:
        label, message = htmllib.unescape(linked or plain).strip(), htmllib.unescape(message).strip()
        assert label and message, (where, label, message)
        assert "_" not in label and not PATH.search(label), (where, label)
        if field_id:  # the link lands on an input of this page
            assert f'id="{field_id}"' in page, (where, field_id)
        found.append((label, message))
    shown = " | ".join(m for _, m in found) + " | ".join(FIELD_MESSAGE.findall(page))
    for bad in FORBIDDEN:
        assert bad not in shown, (where, bad, shown)
    assert not PATH.search(shown), (where, PATH.search(shown).group(0), shown)
    return found


def labels(found: list[tuple[str, str]]) -> set[str]:
    return {label for label, _ in found}


def test_every_page_form_names_each_problem_by_its_label(client, token_for, session_for):
    sme, officer, committee = session_for("sme"), session_for("bank_officer"), session_for("credit_committee")
    admin, verifier, senior = session_for("fund_admin"), session_for("verifier"), session_for("senior_verifier")
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    stream = client.get(f"/api/v1/proposals/{pid}", headers=token_for("verifier")).get_json()["indicators"][0]["stream"]

    # Registration, drafting and the fund's set-up forms.
    assert {"Legal name", "Tax id"} <= labels(problems_of(sme.post("/enterprises/new", data={}), "enterprise"))
    draft = sme.post("/proposals/new", data={
        "title": "Pumps", "investment": "abc", "indicator_rows": "1", "indicators.0.stream": "water",
        "indicators.0.baseline_quantity": "many", "cost_rows": "1", "cost_items.0.description": "pump",
        "cost_items.0.amount": "lots"})
    found = problems_of(draft, "proposal")
    assert {"Total investment", "Indicator 1: baseline quantity", "Cost item 1: amount"} <= labels(found)
    assert ("Total investment", "Enter a number, e.g. 12,500.00.") in found
    assert 'value="abc"' in draft.get_data(as_text=True)  # what was typed stays
    found = problems_of(verifier.post(f"/proposals/{pid}/review", data={
        "main_indicator": stream, f"baseline_quantity.{stream}": "-5", "comments": ""}), "technical review")
    assert "Comments for the SME" in labels(found) and "Indicator 1: baseline quantity" in labels(found)
    assert {"Name", "Currency"} <= labels(problems_of(admin.post("/credit-lines/new", data={}), "credit line"))
    assert "Kind" in labels(problems_of(admin.post("/admin/organisations", data={}), "organisation"))
    assert "E-mail" in labels(problems_of(admin.post("/admin/users/new", data={"email": "x"}), "user"))
    assert "Draft rulebook" in labels(problems_of(
        admin.post("/rulebooks/simulate", data={"rulebook_yaml": "scoring: [1"}), "simulation"))
    rolling = next(p["id"] for p in client.get("/api/v1/proposals", headers=token_for("verifier")).get_json()["items"]
                   if p["title"] == ROLLING)
    task = tasks_of(client, token_for("verifier"), rolling)["worse_indicator"]["id"]
    assert "Decision" in labels(problems_of(verifier.post(f"/referrals/{task}", data={}), "referral"))

    # The bank's terms and the committee's decision.
    found = problems_of(officer.post("/loans/new", data={
        "proposal_id": pid, "principal": "abc", "tenor_months": "12", "plan-date": "soon", "plan-amount": "1"}),
        "loan terms")
    assert {"Principal", "Annual rate", "Tranche 1: planned date"} <= labels(found)
    loan = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36}).get_json()["id"]
    found = problems_of(committee.post(f"/loans/{loan}/approve", data={"decided_on": "17/11/2026"}), "approve")
    assert ("Decided on", "Enter a date as YYYY-MM-DD, e.g. 2026-11-17.") in found
    assert ("Reason", "Enter the reason.") in problems_of(committee.post(f"/loans/{loan}/decline", data={}), "decline")
    approved_on = (disbursed_on() - timedelta(days=14)).isoformat()
    client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"), json={"decided_on": approved_on})

    # The guarantee, the disbursement and the payments.
    assert "Share other guarantors cover" in labels(problems_of(
        officer.post(f"/loans/{loan}/guarantee", data={"other_guarantors_share": "two"}), "guarantee request"))
    gid = client.post(f"/api/v1/loans/{loan}/guarantee", headers=token_for("bank_officer"),
                      json={"proceeds_to_approved_items": True}).get_json()["id"]
    assert "Issued on" in labels(problems_of(admin.post(f"/guarantees/{gid}/issue", data={"issued_on": "2999-01-01"}),
                                             "issue guarantee"))
    assert "Reason to decline" in labels(problems_of(admin.post(f"/guarantees/{gid}/decline", data={}), "decline guarantee"))
    assert ("Amount", "Enter the amount.") in problems_of(officer.post(f"/loans/{loan}/disburse", data={}), "disburse")
    client.post(f"/api/v1/loans/{loan}/disburse", headers=token_for("bank_officer"),
                json={"amount": "80000.00", "value_date": disbursed_on().isoformat()})
    found = problems_of(officer.post(f"/loans/{loan}/pay", data={"amount": "12.345", "mode": "faster"}), "payment")
    assert {"Amount", "If it prepays principal"} <= labels(found)
    problems_of(officer.post(f"/loans/{loan}/write-off", data={}), "write-off")
    problems_of(admin.post(f"/loans/{loan}/pay-claim", data={}), "pay claim")
    problems_of(officer.post(f"/loans/{loan}/call", data={}), "call")

    # Monitoring: the plan, a report, an upload, another incentive.
    assert "Baseline from" in labels(problems_of(
        verifier.post(f"/proposals/{pid}/monitoring/plan", data={"baseline_start": "May"}), "plan"))
    planned(client, token_for, pid)
    found = problems_of(sme.post(f"/proposals/{pid}/monitoring/report", data={"period": "", "production_output": "x"}),
                        "report")
    assert "Period" in labels(found)
    upload = sme.post(f"/proposals/{pid}/monitoring/upload", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"period,stream\n2099-01,steam\n"), "bad.csv")})
    assert "File" in labels(problems_of(upload, "upload"))
    assert 'data-testid="upload-errors"' in upload.get_data(as_text=True)
    assert {"Granted by", "Amount", "Date"} <= labels(problems_of(
        sme.post(f"/proposals/{pid}/other-incentives", data={}), "other incentive"))

    # The verification's four eyes and the grant.
    reported(client, token_for, pid)
    vid = verified(client, token_for, pid)["id"]
    assert "Decision" in labels(problems_of(verifier.post(f"/verifications/{vid}/propose", data={}), "propose"))
    client.post(f"/api/v1/verifications/{vid}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "meters agree"})
    assert "Comment" in labels(problems_of(senior.post(f"/verifications/{vid}/reject", data={}), "return"))
    assert "Confirmed on" in labels(problems_of(
        senior.post(f"/verifications/{vid}/confirm", data={"confirmed_on": "2999-01-01"}), "confirm"))
    client.post(f"/api/v1/verifications/{vid}/confirm", headers=token_for("senior_verifier"), json={})
    grant = client.get("/api/v1/grants?status=calculated", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
    assert "Pay as" in labels(problems_of(admin.post(f"/grants/{grant}/approve", data={"paid_as": "cash"}), "approve grant"))
    client.post(f"/api/v1/grants/{grant}/approve", headers=token_for("fund_admin"), json={"paid_as": "enterprise"})
    assert "Paid on" in labels(problems_of(admin.post(f"/grants/{grant}/pay", data={"paid_on": "yesterday"}), "pay grant"))


def test_the_terms_form_previews_the_schedule_and_proposes_nothing(client, token_for, session_for):
    officer = session_for("bank_officer")
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    form = {"proposal_id": pid, "principal": "100000.00", "annual_rate": "12", "tenor_months": "12",
            "frequency": "monthly", "method": "annuity", "plan-date": "2026-01-15", "plan-amount": "100000.00",
            "preview": "1"}
    page = officer.post("/loans/new", data=form).get_data(as_text=True)
    assert 'data-testid="schedule-preview"' in page
    assert "<td>1</td><td>2026-02-15</td>" in page and "8,884.88" in page  # build_schedule's own example
    assert 'value="12"' in page  # the terms stay for the officer to propose
    assert client.get("/api/v1/loans", headers=token_for("bank_officer")).get_json()["total"] == 0
    bad = officer.post("/loans/new", data={**form, "tenor_months": "13", "frequency": "quarterly"})
    assert ("Tenor (months)", "must be a positive multiple of 3 for quarterly installments, got 13") in \
        problems_of(bad, "preview")


def test_the_offer_the_guarantee_letter_and_the_assessment_are_pdfs_the_bank_files(client, token_for, session_for):
    officer, committee = session_for("bank_officer"), session_for("credit_committee")
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    assessment = officer.get(f"/proposals/{pid}/assessment.pdf")
    assert assessment.mimetype == "application/pdf" and assessment.data.startswith(b"%PDF")
    loan = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36}).get_json()["id"]
    assert officer.get(f"/loans/{loan}/offer.pdf").status_code == 302  # no offer before the approval
    assert committee.get(f"/loans/{loan}/approve").status_code == 200
    assert officer.get(f"/loans/{loan}/approve").status_code == 403  # no confirm button for who cannot approve
    res = committee.post(f"/loans/{loan}/approve", data={"comment": "within limits"})
    assert res.status_code == 302
    offer = officer.get(f"/loans/{loan}/offer.pdf")
    assert offer.mimetype == "application/pdf" and offer.data.startswith(b"%PDF") and b"Loan offer" in offer.data
    gid = client.post(f"/api/v1/loans/{loan}/guarantee", headers=token_for("bank_officer"),
                      json={"proceeds_to_approved_items": True}).get_json()["id"]
    assert "available once the fund issues" in officer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin"), json={}).status_code == 200
    page = officer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert f"/guarantees/{gid}/letter.pdf" in page and "USD 40,000" in page
    letter = officer.get(f"/guarantees/{gid}/letter.pdf")
    assert letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF") and b"Guarantee letter" in letter.data
    assert session_for("owner@rolling.example").get(f"/guarantees/{gid}").status_code == 404


def test_the_loan_page_shows_the_tranche_plan_and_fills_the_next_tranche(client, token_for, session_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    first = disbursed_on().isoformat()
    loan = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "disbursement_plan": [{"date": first, "amount": "50000.00"}, {"amount": "30000.00"}]}).get_json()["id"]
    committee = session_for("credit_committee")
    confirm = committee.get(f"/loans/{loan}/approve").get_data(as_text=True)
    assert f"{first}: USD 50,000.00; date to agree: USD 30,000.00" in confirm  # the committee sees the plan
    client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"),
                json={"decided_on": (disbursed_on() - timedelta(days=14)).isoformat()})
    page = session_for("bank_officer").get(f"/loans/{loan}").get_data(as_text=True)
    assert 'data-testid="tranche-plan"' in page
    assert 'id="d-amount" name="amount" type="number" step="0.01" min="0.01" required value="50000.00"' in page
    assert f'id="d-value_date" name="value_date" type="date" required value="{first}"' in page


def test_the_sign_in_form_names_its_problems_too(app, demo):
    browser = app.test_client()
    found = problems_of(browser.post("/login", data={"email": "someone"}), "sign in")
    assert ("E-mail", "Enter an e-mail address such as name@example.org.") in found
    assert ("Password", "Enter the password.") in found
