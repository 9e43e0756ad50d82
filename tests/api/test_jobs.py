"""The daily job: reminders due and overdue, verifications waiting, loans; a day runs once, a replay
changes nothing; an empty book; the scheduler's registration and the single-runner guarantee."""
import datetime as dt
import json
import threading
import time

from sqlalchemy import func, select

from creditline.extensions import db
from creditline.notifications.models import Notification

from .test_verification_chain import monthly, planned, reported, textile, verified  # noqa: F401
from creditline import clock


def run(app, day, replay=False):
    res = app.test_cli_runner().invoke(args=["jobs", "run-daily", "--date", day, *(["--replay"] if replay else [])])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def count(app, kind=None):
    with app.app_context():
        stmt = select(func.count()).select_from(Notification)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return db.session.scalar(stmt)


def test_reminders_are_queued_once_and_shown_at_home(app, client, token_for, textile):  # noqa: F811
    from datetime import date, timedelta

    from creditline.auth.models import User

    plan = planned(client, token_for, textile)
    due = date.fromisoformat(plan["periods"][0]["due_date"])  # M01, due 15 days after it ends
    day = lambda n: (due + timedelta(days=n)).isoformat()  # noqa: E731
    assert run(app, day(-14))["monitoring"] == {"report_due": 0, "report_overdue": 0, "verification_waiting": 0}
    first = run(app, day(-5))
    # The SME and the NCPC's verifier hear that M01 is due soon.
    assert first["monitoring"]["report_due"] == 2
    again = run(app, day(-5), replay=True)
    assert again["monitoring"]["report_due"] == 0 and count(app, "report_due") == 2
    with app.app_context():
        told = {db.session.get(User, n.user_id).email
                for n in db.session.scalars(select(Notification).where(Notification.kind == "report_due"))}
    assert told == {"owner@textile.example", "verifier@ncpc.example"}
    late = run(app, day(5))["monitoring"]
    # The SME and the NCPC's verifier hear that M01 is overdue; M02 is not due yet.
    assert late["report_overdue"] == 2 and count(app, "report_overdue") == 2

    sme = app.test_client()
    sme.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"})
    home = sme.get("/").get_data(as_text=True)
    assert "Monitoring report M01 is overdue" in home
    with app.app_context():
        nid = db.session.scalar(select(Notification.id).where(Notification.kind == "report_overdue").order_by(Notification.id))
    sme.post(f"/notifications/{nid}/read")


def test_a_proposed_verification_reminds_the_senior_not_the_proposer(app, client, token_for, textile):  # noqa: F811
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    assert run(app, "2026-09-01")["monitoring"]["verification_waiting"] == 1
    assert run(app, "2026-09-02")["monitoring"]["verification_waiting"] == 0
    with app.app_context():
        n = db.session.scalar(select(Notification).where(Notification.kind == "verification_waiting"))
        from creditline.auth.models import User
        assert db.session.get(User, n.user_id).email == "senior@ncpc.example"


def test_bad_date_is_refused(app):
    res = app.test_cli_runner().invoke(args=["jobs", "run-daily", "--date", "23/11/2026"])
    assert res.exit_code != 0 and "YYYY-MM-DD" in res.output


def test_daily_job_moves_loans_through_arrears_once_per_day(app, client, token_for, textile):  # noqa: F811
    from dateutil.relativedelta import relativedelta

    from creditline.loans.models import Loan

    from .test_verification_chain import disbursed_on

    start = disbursed_on()
    first_due = start + relativedelta(months=1)
    day = (first_due + relativedelta(days=10)).isoformat()
    step = run(app, day)["loans"]
    assert step["status_changes"] == 1 and step["loans_checked"] == 1
    assert "skipped" in run(app, day)  # the day has been run
    assert run(app, day, "--replay")["loans"]["status_changes"] == 0  # a replay changes nothing
    with app.app_context():
        loan = db.session.scalar(select(Loan))
        assert (loan.status, loan.days_past_due) == ("in_arrears", 10)
    later = (first_due + relativedelta(days=91)).isoformat()
    assert run(app, later)["loans"]["status_changes"] == 1
    with app.app_context():
        loan = db.session.scalar(select(Loan))
        assert (loan.status, loan.days_past_due) == ("defaulted", 91)
    assert count(app, "loan_in_arrears") >= 1 and count(app, "loan_defaulted") >= 1


def test_installments_due_within_a_week_are_announced(app, client, token_for, textile):  # noqa: F811
    from dateutil.relativedelta import relativedelta

    from .test_verification_chain import disbursed_on

    first_due = disbursed_on() + relativedelta(months=1)
    assert run(app, (first_due - relativedelta(days=3)).isoformat())["loans"]["notifications"] == 2  # SME and officer
    assert run(app, (first_due - relativedelta(days=2)).isoformat())["loans"]["notifications"] == 0


def test_an_empty_book_runs_every_step(app, demo):
    """No loan being repaid (a fresh install, the demo): the loans step reports zeros, the rest runs."""
    summary = run(app, "2026-04-10")
    assert summary["loans"] == {"loans_checked": 0, "status_changes": 0, "notifications": 0,
                                "guarantees_released": 0}
    assert "monitoring" in summary
    from creditline.jobs.models import JobRun
    with app.app_context():
        assert db.session.scalar(select(JobRun.summary)).get("runs") == 1


def test_a_repaid_loan_frees_its_guarantee_and_the_other_steps_still_run(app, client, token_for, demo):
    from dateutil.relativedelta import relativedelta

    from .test_guarantees import issue, line_exposure
    from .test_loans import APPROVED_ON_START, START, pay, propose
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    loan_id = propose(client, token_for, pid).get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"),
                       json=APPROVED_ON_START).status_code == 200
    gid = issue(client, token_for, loan_id).get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                       json={"amount": "80000.00", "value_date": START.isoformat()}).status_code == 201
    assert line_exposure(client, token_for)["remaining_capacity"] == "1960000.00"
    # Installment 1's interest (800.00) and the whole principal repay the loan.
    res = pay(client, token_for, loan_id, "80800.00", START + relativedelta(months=1))
    assert res.status_code == 201 and res.get_json()["loan"]["status"] == "repaid"
    summary = run(app, clock.today().isoformat())
    assert summary["loans"]["loans_checked"] == 0 and summary["loans"]["guarantees_released"] == 1
    assert "monitoring" in summary
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert (g["status"], g["allowed_transitions"]) == ("released", [])
    ex = line_exposure(client, token_for)
    assert (ex["remaining_capacity"], ex["live"], ex["outstanding_exposure"]) == ("2000000.00", 0, "0.00")
    assert run(app, clock.today().isoformat(), "--replay")["loans"]["guarantees_released"] == 0


def test_a_second_arrears_episode_is_announced_again(app, client, token_for, demo):
    from dateutil.relativedelta import relativedelta

    from .test_loans import APPROVED_ON_START, START, pay, propose, schedule
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    loan_id = propose(client, token_for, pid).get_json()["id"]
    client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json=APPROVED_ON_START)
    client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                json={"amount": "80000.00", "value_date": START.isoformat()})
    rows = schedule(client, token_for, loan_id)
    due1, due2 = START + relativedelta(months=1), START + relativedelta(months=2)
    late = (due1 + dt.timedelta(days=5)).isoformat()
    assert run(app, late)["loans"]["status_changes"] == 1
    assert count(app, "loan_in_arrears") == 2  # the SME and the officer
    res = pay(client, token_for, loan_id, rows[0]["total"], due1 + dt.timedelta(days=5))
    assert res.get_json()["loan"]["status"] == "active"
    again = (due2 + dt.timedelta(days=3)).isoformat()
    assert run(app, again)["loans"]["status_changes"] == 1
    assert count(app, "loan_in_arrears") == 4  # a new episode (since due2), announced again
    with app.app_context():
        keys = sorted(db.session.scalars(select(Notification.dedupe_key).where(Notification.kind == "loan_in_arrears")))
    assert {k.rsplit(":user:", 1)[0] for k in keys} == {f"loan_in_arrears:{loan_id}:{due1}", f"loan_in_arrears:{loan_id}:{due2}"}


def test_two_runners_of_the_same_day_do_not_clash(app, demo):
    """Two schedulers started by mistake: the second finds the day claimed and does nothing."""
    from creditline.jobs import daily
    from creditline.jobs.models import JobRun

    def slow(day):
        time.sleep(1.0)  # long enough for the other runner to start meanwhile
        return {"slept": 1}

    daily.STEPS.append(("slow", slow))
    results, errors = [], []

    def runner():
        try:
            with app.app_context():
                results.append(daily.run_daily(dt.date(2026, 5, 1)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    try:
        threads = [threading.Thread(target=runner) for _ in range(2)]
        for t in threads:
            t.start()
            time.sleep(0.2)
        for t in threads:
            t.join(30)
    finally:
        daily.STEPS.remove(("slow", slow))
    assert errors == []
    assert sorted("skipped" in r for r in results) == [False, True]
    with app.app_context():
        (row,) = db.session.scalars(select(JobRun)).all()
        assert (row.run_date, row.summary["runs"]) == (dt.date(2026, 5, 1), 1)


def test_the_scheduler_registers_the_daily_job(app):
    from creditline.jobs.scheduler import _tick, build_scheduler

    scheduler = build_scheduler(app)
    scheduler.start(paused=True)  # paused: nothing runs during the test
    try:
        daily = scheduler.get_job("daily")
        assert daily.func is _tick and daily.args == (app,)
        fields = {f.name: str(f) for f in daily.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("1", "0") and str(daily.trigger.timezone) == "UTC"
        assert daily.max_instances == 1 and daily.coalesce is True
        assert scheduler.get_job("startup") is not None  # a process started after 01:00 still runs today
    finally:
        scheduler.shutdown(wait=False)
    assert build_scheduler(app, run_at_start=False).get_job("startup") is None


def test_the_daily_steps_run_in_the_wired_order(app):
    from creditline.jobs import daily
    assert [name for name, _ in daily.STEPS] == ["monitoring", "loans", "housekeeping", "mail"]


def test_housekeeping_removes_old_sessions_and_settled_keys_and_keeps_recent_ones(app, demo):
    from datetime import datetime, timezone

    from creditline.auth.models import User, WebSession
    from creditline.idempotency import IdempotencyKey
    from creditline.jobs.daily import run_daily

    day = clock.today()
    old = datetime(day.year - 1, 1, 1, tzinfo=timezone.utc)
    now = clock.now()
    with app.app_context():
        uid = db.session.scalar(select(User.id).limit(1))
        db.session.add_all([
            WebSession(token_hash="a" * 64, user_id=uid, created_at=old, last_seen_at=old),
            WebSession(token_hash="b" * 64, user_id=uid, created_at=now, last_seen_at=now),
            IdempotencyKey(user_id=uid, key="old", route="POST /x", request_hash="0" * 64, status="done", created_at=old),
            IdempotencyKey(user_id=uid, key="new", route="POST /x", request_hash="0" * 64, status="done", created_at=now),
        ])
        db.session.commit()
        summary = run_daily(day)
        assert summary["housekeeping"] == {"sessions_removed": 1, "idempotency_keys_removed": 1}
        assert db.session.scalars(select(WebSession.token_hash)).all() == ["b" * 64]
        assert db.session.scalars(select(IdempotencyKey.key)).all() == ["new"]
        db.session.remove()


def test_every_link_between_packages_is_made_by_the_wiring_and_only_once(app):
    """Building a second app does not add a guard, hook or step twice (the lists are set, not appended)."""
    from creditline import home, wiring
    from creditline.creditlines import services as creditlines
    from creditline.grants import services as grants
    from creditline.loans import jobs as loan_jobs
    from creditline.loans import pages as loan_pages
    from creditline.loans import repayments, write_offs
    from creditline.loans import services as loans
    from creditline.monitoring import views as monitoring_pages
    from creditline.proposals import services as proposals
    from creditline.verifications import services as verifications
    wiring.connect()
    wiring.connect()
    sizes = [len(proposals.FIXED_BY), len(proposals.LET_GO_HOOKS), len(proposals.MOVE_HOOKS),
             len(loans.APPROVE_GUARDS), len(verifications.ON_CONFIRMED), len(grants.BASIS_PROVIDERS),
             len(grants.PRINCIPAL_REDUCERS), len(home.STEP_PROVIDERS), len(creditlines.PRICED_IN_LINE),
             len(monitoring_pages.CONFIRMED_VERIFICATION), len(monitoring_pages.GRANT_BASIS),
             len(loans.SCHEDULE_END_FOLLOWERS), len(repayments.PAYMENT_TAKERS), len(write_offs.WRITE_OFF_GUARDS),
             len(write_offs.WRITTEN_OFF_HOOKS), len(loan_pages.GUARANTEE_OF), len(loan_jobs.FOLLOW_UPS)]
    assert sizes == [1, 1, 1, 1, 1, 1, 1, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert set(grants.CONDITIONS) == {"loan_outstanding", "no_other_grant"}
