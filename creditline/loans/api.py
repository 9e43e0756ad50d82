"""REST: loans, their decisions, disbursements, payments and repayment schedule."""
from __future__ import annotations

import io

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import exports, idempotency
from ..auth.current import current_actor
from ..files.disposition import download
from ..list_views import api_list, openapi_doc
from . import cancellation, repayments, services, write_offs
from .lists import LOANS
from .schemas import (ApproveSchema, CancelRestSchema, DeclineSchema, DisbursementInSchema, DisbursementSchema,
                      LoanCreateSchema, LoanPageSchema, LoanQueryArgsSchema, LoanSchema, PaymentInSchema, PaymentOutSchema,
                      PaymentSchema, ScheduleArgsSchema, ScheduleSchema, WriteOffSchema)

blp = Blueprint("loans_api", __name__, url_prefix="/api/v1/loans",
                description="Loans: terms, approval, disbursement, repayment")

CSV_COLUMNS = ("number", "due_date", "principal", "interest", "fee", "total", "balance_after",
               "principal_paid", "interest_paid", "fee_paid", "status")


@blp.route("")
class LoansView(MethodView):
    @blp.arguments(LOANS.args_schema(LoanQueryArgsSchema), location="query")
    @blp.response(200, LoanPageSchema)
    @blp.doc(**openapi_doc(LoanPageSchema))
    def get(self, args):
        """List the loans the caller may see: search, filter, sort; ?format=csv|xlsx downloads them all."""
        return api_list(LOANS, services.loans_query(current_actor(), args), args)

    @blp.arguments(LoanCreateSchema)
    @blp.response(201, LoanSchema)
    def post(self, data):
        """Apply for a loan: terms on an eligible proposal (bank officers of its bank)."""
        return services.propose_loan(current_actor(), data)


@blp.route("/<int:loan_id>")
class LoanView(MethodView):
    @blp.response(200, LoanSchema)
    def get(self, loan_id):
        """Show one loan with its balances and debt service coverage."""
        return services.get_loan(current_actor(), loan_id)


@blp.route("/<int:loan_id>/approve")
class ApproveView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(ApproveSchema)
    @blp.response(200, LoanSchema)
    def post(self, data, loan_id):
        """Approve the terms applied for (credit committee; not the proposer)."""
        return services.approve_loan(current_actor(), loan_id, data.get("comment"), data.get("decided_on"))


@blp.route("/<int:loan_id>/decline")
class DeclineView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(DeclineSchema)
    @blp.response(200, LoanSchema)
    def post(self, data, loan_id):
        """Decline the terms applied for, with a reason (credit committee; not the proposer)."""
        return services.decline_loan(current_actor(), loan_id, data["reason"], data.get("decided_on"))


@blp.route("/<int:loan_id>/disburse")
class DisburseView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(DisbursementInSchema)
    @blp.response(201, DisbursementSchema)
    def post(self, data, loan_id):
        """Record a tranche paid out; the first fixes the schedule from its value date."""
        return services.disburse(current_actor(), loan_id, data)


@blp.route("/<int:loan_id>/cancel-undisbursed")
class CancelRestView(MethodView):
    @blp.arguments(CancelRestSchema)
    @blp.response(200, LoanSchema)
    def post(self, data, loan_id):
        """Cancel the approved principal not yet paid out, with a reason (the lending bank's officer)."""
        return cancellation.cancel_undisbursed(current_actor(), loan_id, data["reason"])


@blp.route("/<int:loan_id>/write-off")
class WriteOffView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(WriteOffSchema)
    @blp.response(200, LoanSchema)
    def post(self, data, loan_id):
        """Propose writing off a defaulted loan, with the reason (the lending bank's officer; call its
        guarantee first). The loan stays defaulted until the credit committee confirms or declines."""
        return write_offs.propose_write_off(current_actor(), loan_id, data["reason"])


@blp.route("/<int:loan_id>/write-off/confirm")
class WriteOffConfirmView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.response(200, LoanSchema)
    def post(self, loan_id):
        """Confirm a proposed write-off: the loan is written off (the lending bank's credit committee; never the proposer)."""
        return write_offs.confirm_write_off(current_actor(), loan_id)


@blp.route("/<int:loan_id>/write-off/withdraw")
class WriteOffWithdrawView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.response(200, LoanSchema)
    def post(self, loan_id):
        """Withdraw one's own write-off proposal before the committee decides it (the proposing officer)."""
        return write_offs.withdraw_write_off(current_actor(), loan_id)


@blp.route("/<int:loan_id>/write-off/decline")
class WriteOffDeclineView(MethodView):
    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(WriteOffSchema)
    @blp.response(200, LoanSchema)
    def post(self, data, loan_id):
        """Decline a proposed write-off, with the reason: the loan stays defaulted (the credit committee; never the proposer)."""
        return write_offs.decline_write_off(current_actor(), loan_id, data["reason"])


@blp.route("/<int:loan_id>/payments")
class PaymentsView(MethodView):
    @blp.response(200, PaymentSchema(many=True))
    def get(self, loan_id):
        """List the loan's payments and how each was applied."""
        return services.payments_of(current_actor(), loan_id)

    @blp.doc(**idempotency.HEADER_DOC)
    @idempotency.idempotent
    @blp.arguments(PaymentInSchema)
    @blp.response(201, PaymentOutSchema)
    def post(self, data, loan_id):
        """Record a repayment dated today or earlier; the excess over what is due prepays principal (choose a mode)."""
        return repayments.record_payment(current_actor(), loan_id, data)


@blp.route("/<int:loan_id>/schedule")
class ScheduleView(MethodView):
    @blp.arguments(ScheduleArgsSchema, location="query")
    @blp.response(200, ScheduleSchema)
    # One status, two bodies: an alt_response of the same status would be dropped, so 200 names both.
    @blp.doc(responses={"200": {"description": "the installments; as CSV for Accept: text/csv or ?format=csv",
                                "content": {"application/json": {"schema": ScheduleSchema},
                                            "text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args, loan_id):
        """The installment schedule as JSON, or as CSV."""
        schedule = services.schedule_of(services.get_loan(current_actor(), loan_id))
        wants_csv = args.get("format") == "csv" or (
            args.get("format") is None
            and request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv")
        if not wants_csv:
            return schedule
        out = io.StringIO()
        writer = exports.Writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in schedule["installments"]:
            writer.writerow([row[c].isoformat() if c == "due_date" else row[c] for c in CSV_COLUMNS])
        return download(out.getvalue().encode(), f"loan-{loan_id}-schedule.csv", "text/csv")
