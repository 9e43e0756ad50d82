"""Idempotency-Key: a retried payment returns the first answer and moves nothing."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select

from creditline.extensions import db
from creditline.idempotency import IdempotencyKey
from creditline.loans.models import Payment

from .races import race_calls
from .test_loans import active, approved, proposal_id, schedule  # noqa: F401  (fixtures)


def payments(app, loan_id) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.loan_id == loan_id))
        db.session.remove()
    return n


def body_for(client, token_for, loan_id, n=0) -> str:
    row = schedule(client, token_for, loan_id)[n]
    return json.dumps({"amount": row["total"], "currency": "USD", "value_date": row["due_date"]})


def post(client, headers, loan_id, body, key):
    return client.post(f"/api/v1/loans/{loan_id}/payments", headers={**headers, "Idempotency-Key": key},
                       data=body, content_type="application/json")


def test_a_retry_returns_the_first_answer_and_pays_once(app, client, token_for, active):  # noqa: F811
    officer, body = token_for("bank_officer"), body_for(client, token_for, active)
    first = post(client, officer, active, body, "pay-0001")
    assert first.status_code == 201
    again = post(client, officer, active, body, "pay-0001")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert payments(app, active) == 1
    # A new key is a new payment (the next installment).
    assert post(client, officer, active, body_for(client, token_for, active, 1), "pay-0002").status_code == 201
    assert payments(app, active) == 2


def test_the_same_key_with_another_body_is_refused(app, client, token_for, active):  # noqa: F811
    officer = token_for("bank_officer")
    assert post(client, officer, active, body_for(client, token_for, active), "pay-0001").status_code == 201
    res = post(client, officer, active, body_for(client, token_for, active, 1), "pay-0001")
    assert res.status_code == 422 and "Idempotency-Key" in res.get_json()["errors"]
    assert payments(app, active) == 1


def test_a_key_still_in_progress_is_409(app, client, token_for, active):  # noqa: F811
    officer, body = token_for("bank_officer"), body_for(client, token_for, active)
    with app.app_context():
        from creditline.auth.models import User
        user = db.session.scalar(select(User).where(User.email == "officer@bank.example"))
        db.session.add(IdempotencyKey(user_id=user.id, key="pay-0001", route=f"POST /api/v1/loans/{active}/payments",
                                      request_hash=hashlib.sha256(body.encode()).hexdigest(), status="in_progress"))
        db.session.commit()
        db.session.remove()
    res = post(client, officer, active, body, "pay-0001")
    assert res.status_code == 409 and res.get_json()["current_state"] == "in_progress"
    assert payments(app, active) == 0


def test_a_failed_request_frees_its_key(app, client, token_for, active):  # noqa: F811
    officer, body = token_for("bank_officer"), body_for(client, token_for, active)
    wrong = json.dumps({"amount": "10.00", "currency": "EUR", "value_date": "2025-12-01"})
    assert post(client, officer, active, wrong, "pay-0001").status_code == 422
    # It moved nothing, so the key is free for the corrected request, which is then kept.
    first = post(client, officer, active, body, "pay-0001")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(client, officer, active, body, "pay-0001")
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()
    assert payments(app, active) == 1


def test_keys_belong_to_their_user(app, client, token_for, active):  # noqa: F811
    officer, body = token_for("bank_officer"), body_for(client, token_for, active)
    assert post(client, officer, active, body, "shared-key").status_code == 201
    assert post(client, officer, active, body, "shared-key").headers.get("Idempotent-Replayed") == "true"
    # Another person's same key is theirs: it never replays the officer's answer to them.
    res = post(client, token_for("sme"), active, body, "shared-key")
    assert res.status_code in (403, 404) and "Idempotent-Replayed" not in res.headers


def test_one_key_sent_twice_at_once_pays_once(app, client, token_for, active):  # noqa: F811
    officer, body = token_for("bank_officer"), json.loads(body_for(client, token_for, active))
    headers = {**officer, "Idempotency-Key": "pay-race"}
    results = race_calls(app, [(f"/api/v1/loans/{active}/payments", headers, body)] * 4)
    statuses = [s for s, _ in results]
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert len({json.dumps(b, sort_keys=True) for s, b in results if s == 201}) == 1  # replays match the first
    assert payments(app, active) == 1


def test_openapi_documents_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = spec["paths"]["/api/v1/loans/{loan_id}/payments"]["post"].get("parameters", [])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_a_money_form_posted_twice_records_once(app, client, token_for, session_for, active):  # noqa: F811
    # A double click (or a refresh) on the loan page's payment form sends the same form twice.
    import re

    officer = session_for("bank_officer")
    page = officer.get(f"/loans/{active}").get_data(as_text=True)
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    form = re.search(r'data-testid="payment-form".*?name="idempotency_key" value="([0-9a-f]{32})"', page, re.S)
    assert form is not None and len(set(keys)) == len(keys)  # one key per form, each its own
    row = schedule(client, token_for, active)[0]
    data = {"idempotency_key": form.group(1), "amount": row["total"], "value_date": row["due_date"]}
    first, second = (officer.post(f"/loans/{active}/pay", data=data) for _ in range(2))
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)[:300]
    assert payments(app, active) == 1
    # The page shown again carries a new key: the next payment is a new one.
    again = officer.get(f"/loans/{active}").get_data(as_text=True)
    assert form.group(1) not in again
    # A refused form frees its key: corrected and sent again, it is recorded.
    refused = officer.post(f"/loans/{active}/pay", data={**data, "idempotency_key": "k" * 32, "amount": "-1"})
    assert refused.status_code == 422 and payments(app, active) == 1


def test_a_confirmed_tranche_posted_twice_is_paid_out_once(app, client, token_for, session_for, approved):  # noqa: F811
    import re

    from creditline.loans.models import Disbursement
    from .test_loans import START

    officer = session_for("bank_officer")
    step = officer.get(f"/loans/{approved}/disburse?amount=30000.00&value_date={START.isoformat()}")
    assert step.status_code == 200
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', step.get_data(as_text=True))
    assert key is not None
    data = {"idempotency_key": key.group(1), "amount": "30000.00", "value_date": START.isoformat()}
    first, second = (officer.post(f"/loans/{approved}/disburse", data=data) for _ in range(2))
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Disbursement)
                                 .where(Disbursement.loan_id == approved)) == 1
        db.session.remove()
