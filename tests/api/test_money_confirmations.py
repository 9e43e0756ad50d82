"""Money moves confirmed: a tranche and a recovery show their figures before anything moves, and the
fund's claim payment carries its value date and transfer reference (API, service, stored, shown, audited)."""
from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline import clock
from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.guarantees.models import Guarantee

from .test_guarantees import START, approved, counts, default, disbursed, issue, proposal_id  # noqa: F401


def test_a_claim_payment_takes_its_day_and_reference(app, client, token_for, session_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    assert client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).status_code == 200
    today = clock.today()
    before = counts(app)
    for day, problem in ((today + relativedelta(days=1), "in the future"),
                         (today - relativedelta(days=1), "the guarantee was called")):
        res = client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin"),
                          json={"paid_on": day.isoformat(), "reference": "FUND-TT-7"})
        assert res.status_code == 422 and problem in str(res.get_json()["errors"]["paid_on"]), res.get_json()
    res = client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin"), json={"reference": ""})
    assert res.status_code == 422 and "reference" in res.get_json()["errors"]
    assert counts(app) == before  # nothing moved
    res = client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin"),
                      json={"paid_on": today.isoformat(), "reference": "FUND-TT-7"})
    g = res.get_json()
    assert res.status_code == 200 and (g["status"], g["paid_on"], g["payment_reference"]) == \
        ("paid", today.isoformat(), "FUND-TT-7")
    with app.app_context():
        stored = db.session.get(Guarantee, gid)
        assert (stored.paid_on, stored.payment_reference) == (today, "FUND-TT-7")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "guarantee.paid",
                                                            AuditEvent.entity_id == gid)).one()
        assert (event.after["paid_on"], event.after["reference"]) == (today.isoformat(), "FUND-TT-7")
    page = session_for("fund_admin").get(f"/guarantees/{gid}")
    assert f"paid {today.isoformat()} (reference FUND-TT-7)" in page.get_data(as_text=True)


def test_without_a_reference_the_claim_keeps_the_guarantees_own(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    default(app, approved)
    client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    g = client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).get_json()
    assert (g["paid_on"], g["payment_reference"]) == (clock.today().isoformat(), f"G-{gid:06d}")


def test_a_tranche_is_confirmed_before_it_is_paid_out(app, client, token_for, session_for, approved):  # noqa: F811
    officer = session_for("bank_officer")
    before = counts(app)
    # Too much: back to the loan page with the error, the amount typed kept, nothing recorded.
    res = officer.get(f"/loans/{approved}/disburse?amount=90000&value_date={START.isoformat()}")
    page = res.get_data(as_text=True)
    assert res.status_code == 422 and "is left to disburse" in page and 'value="90000"' in page
    res = officer.get(f"/loans/{approved}/disburse?amount=30000&value_date={START.isoformat()}&reference=TT-9")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and 'data-testid="confirmation"' in page
    assert "<dt>Pays out</dt><dd>USD 30,000.00</dd>" in page
    assert "<dt>Left to disburse after</dt><dd>USD 50,000.00</dd>" in page
    assert f'value="{START.isoformat()}"' in page and 'value="TT-9"' in page
    assert counts(app) == before  # the step itself moves nothing
    # Only the bank's officer gets the step.
    assert session_for("fund_admin").get(f"/loans/{approved}/disburse?amount=30000").status_code in (403, 404)
    res = officer.post(f"/loans/{approved}/disburse", data={"amount": "30000", "value_date": START.isoformat(),
                                                            "reference": "TT-9"})
    assert res.status_code == 302
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for("bank_officer")).get_json()
    assert loan["disbursed"] == "30000.00"


def test_a_recovery_is_confirmed_with_the_funds_share(app, client, token_for, session_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    default(app, approved)
    client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin"))
    officer, on = session_for("bank_officer"), (START + relativedelta(months=6)).isoformat()
    res = officer.get(f"/loans/{approved}/recovery?amount=10000.01&value_date={on}&reference=sale")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "<dt>The fund&#39;s part</dt><dd>USD 5,000.01</dd>" in page, page
    assert "<dt>Loan principal after</dt><dd>USD 69,999.99</dd>" in page
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["recoveries"] == []
    res = officer.get(f"/loans/{approved}/recovery?amount=90000&value_date={on}")
    assert res.status_code == 422 and "left to recover" in res.get_data(as_text=True)
    res = officer.post(f"/loans/{approved}/recovery", data={"amount": "10000.01", "value_date": on, "reference": "sale"})
    assert res.status_code == 302
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert [(r["amount"], r["fund_part"]) for r in g["recoveries"]] == [("10000.01", "5000.01")]
