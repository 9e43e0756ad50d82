"""How the packages are joined, read top to bottom (the composition root).

Packages that must not import each other (proposals and loans, verifications and grants, loans
and referrals) still act on each other's events: a proposal withdrawn withdraws its loan
application, a confirmed verification calculates its grant, an open second opinion holds up a
loan approval. Each such link used to be made by a module appending itself to a list when it
happened to be imported, so the order of things was the import order and a module nobody
imported silently dropped its rule. Every link is made here instead, in one place, in order;
``connect()`` runs once per app and may run again (it sets the lists, it does not append).
"""
from __future__ import annotations

from .jobs import daily


def daily_steps() -> list[tuple[str, daily.Step]]:
    """The daily job's steps, in the order they run."""
    from .housekeeping import housekeeping_step
    from .loans.jobs import loans_step
    from .notifications.mail import retry_step
    from .verifications.jobs import remind

    return [
        ("monitoring", remind),        # reports due and overdue: reminders to the SME and the NCPC
        ("loans", loans_step),         # days past due and statuses, installments due soon, guarantees released
        ("housekeeping", housekeeping_step),  # ended web sessions and settled idempotency keys removed
        ("mail", retry_step),          # e-mails that failed before are sent again once the job commits
    ]


def connect() -> None:
    """Join the packages (idempotent: one app or many in a process)."""
    from . import handoffs, home
    from .audit import services as audit
    from .creditlines import services as creditlines
    from .creditlines.views import _manage_lines
    from .grants import loan_link
    from .grants import services as grants
    from .grants.steps import grant_steps
    from .guarantees import loan_link as guarantee_link
    from .guarantees import services as guarantees
    from .guarantees.steps import guarantee_steps
    from .loans import jobs as loan_jobs
    from .loans import pages as loan_pages
    from .loans import repayments, write_offs
    from .loans import services as loans
    from .loans import withdrawals
    from .loans.application_steps import application_steps
    from .loans.steps import loan_steps
    from .monitoring import baseline as monitoring_baseline
    from .monitoring import views as monitoring_pages
    from .proposals import services as proposals
    from .proposals.steps import proposal_steps
    from .referrals import services as referrals
    from .referrals.steps import referral_steps
    from .reports.line_figures import line_figures
    from .verifications import services as verifications
    from .verifications.steps import verification_steps

    # A credit line's currency is fixed once proposals are priced in it.
    creditlines.PRICED_IN_LINE[:] = [proposals.line_has_proposals]

    # A proposal's lifecycle: what else moves with it.
    proposals.FIXED_BY[:] = [withdrawals.approved_loan]           # an approved loan fixes the proposal's figures
    proposals.LET_GO_HOOKS[:] = [withdrawals.withdraw_applied_loan]  # withdrawn or reopened: the application goes
    proposals.MOVE_HOOKS[:] = [referrals.on_proposal_move]                    # referral tasks open and close with it

    # A loan's approval waits for an open second opinion.
    loans.APPROVE_GUARDS[:] = [referrals.second_opinion_guard]

    # A guarantee covers its loan (guarantees sit above loans): what the loan's own steps do to it.
    loans.SCHEDULE_END_FOLLOWERS[:] = [guarantee_link.follow_schedule_end]      # valid to the last due date
    repayments.PAYMENT_TAKERS[:] = [guarantee_link.take_payment]               # after a paid claim: a recovery
    write_offs.WRITE_OFF_GUARDS[:] = [guarantee_link.still_covered]            # call the guarantee first
    write_offs.WRITTEN_OFF_HOOKS[:] = [guarantee_link.decline_with_written_off_loan]  # an open request dies
    loan_pages.GUARANTEE_OF[:] = [guarantees.guarantee_of]                     # the loan page shows it
    loan_jobs.FOLLOW_UPS[:] = [("guarantees_released", guarantees.release_repaid)]  # a repaid loan frees its cover

    # The monitoring page links the proposal's confirmed verification (a new one corrects it) and shows what
    # each grant band would pay.
    monitoring_pages.CONFIRMED_VERIFICATION[:] = [verifications.current_confirmed]
    monitoring_pages.GRANT_BASIS[:] = [grants.grant_basis]                     # what each band's grant would pay on
    monitoring_baseline.BASELINE_USED_BY[:] = [verifications.verification_on_baseline]  # then it is fixed

    # A confirmed verification calculates its grant; the grant reads the loan it rewards.
    verifications.ON_CONFIRMED[:] = [grants.calculate_grant]
    grants.BASIS_PROVIDERS[:] = [loan_link._basis]                            # the credit the rate applies to
    grants.CONDITIONS.clear()
    grants.CONDITIONS.update({"no_other_grant": grants._no_other_grant,      # the rulebook's grant conditions
                              "loan_outstanding": loan_link._loan_outstanding})
    grants.PRINCIPAL_REDUCERS[:] = [loan_link.reduce_principal]              # a grant paid off the principal

    # A line's guarantee capacity and grant budget never fall below what is committed on them.
    creditlines.COMMITMENT_FLOORS[:] = [guarantees.capacity_floor, grants.budget_floor]

    # Every audited change that leaves work waiting on someone else notifies them (in the same transaction).
    audit.LISTENERS[:] = [handoffs.on_events]

    # The home page: each package's waiting work, in this order.
    home.STEP_PROVIDERS[:] = [_manage_lines, line_figures, proposal_steps, application_steps, loan_steps,
                              guarantee_steps, verification_steps, grant_steps, referral_steps]

    daily.STEPS[:] = daily_steps()
