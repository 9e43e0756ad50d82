"""The daily job: reminders due and overdue, verifications waiting; replaying a day changes nothing."""
import json

from sqlalchemy import func, select

from creditline.extensions import db
from creditline.notifications.models import Notification

from .test_verification_chain import monthly, planned, reported, textile, verified  # noqa: F401


def run(app, day):
    res = app.test_cli_runner().invoke(args=["jobs", "run-daily", "--date", day])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def count(app, kind=None):
    with app.app_context():
        stmt = select(func.count()).select_from(Notification)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return db.session.scalar(stmt)


def test_reminders_are_queued_once_and_shown_at_home(app, client, token_for, textile):  # noqa: F811
    planned(client, token_for, textile)  # M01 = March 2026, due 2026-04-15
    assert run(app, "2026-04-01")["monitoring"] == {"report_due": 0, "report_overdue": 0, "verification_waiting": 0}
    first = run(app, "2026-04-10")
    assert first["monitoring"]["report_due"] == 1
    again = run(app, "2026-04-10")
    assert again["monitoring"]["report_due"] == 0 and count(app) == 1
    late = run(app, "2026-04-20")["monitoring"]
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

    from .test_verification_chain import first_of_next_month

    start = first_of_next_month()
    first_due = start + relativedelta(months=1)
    day = (first_due + relativedelta(days=10)).isoformat()
    step = run(app, day)["loans"]
    assert step["status_changes"] == 1 and step["loans_checked"] == 1
    assert run(app, day)["loans"]["status_changes"] == 0  # a replay changes nothing
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

    from .test_verification_chain import first_of_next_month

    first_due = first_of_next_month() + relativedelta(months=1)
    assert run(app, (first_due - relativedelta(days=3)).isoformat())["loans"]["notifications"] == 2  # SME and officer
    assert run(app, (first_due - relativedelta(days=2)).isoformat())["loans"]["notifications"] == 0
