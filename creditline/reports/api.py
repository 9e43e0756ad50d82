"""REST: the portfolio and impact reports and the loan tape, as JSON, CSV or Excel."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import clock
from ..auth.current import current_actor
from ..files.disposition import download
from ..openapi import XLSX
from ..errors import ValidationFailed
from . import loan_tape, services, sheets, tape_import
from .schemas import (ImpactSchema, PortfolioSchema, ReportArgsSchema, TapeArgsSchema, TapeImportArgsSchema,
                      TapeImportSchema, TapeSchema)

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports",
                description="Portfolio and impact reports, the loan tape")


def _doc(schema: type, what: str) -> dict[str, Any]:
    # One status, three bodies: the JSON report, or the same figures as CSV or a workbook.
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {"200": {"description": f"{what}; ?format=csv or xlsx for a file",
                                  "content": {"application/json": {"schema": schema},
                                              "text/csv": {"schema": {"type": "string"}}, XLSX: binary}}}}


def _name(stem: str, fmt: str) -> str:
    return f"{stem}-{clock.today().isoformat()}.{fmt}"


@blp.route("/portfolio")
class PortfolioView(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, PortfolioSchema)
    @blp.doc(**_doc(PortfolioSchema, "the portfolio dashboard's figures"))
    def get(self, args):
        """Proposals, loans, arrears, guarantees and grants by line, sector, CP option, bank and month."""
        report = services.portfolio_report(current_actor(), args)
        if args["format"] == "csv":
            return download(sheets.portfolio_csv(report), _name("portfolio", "csv"), "text/csv")
        if args["format"] == "xlsx":
            notes = [f"As of {report['as_of']}; filters: {report['filters'] or 'none'}", *services.DEFINITIONS]
            return download(sheets.to_xlsx(sheets.portfolio_tables(report), notes), _name("portfolio", "xlsx"), XLSX)
        return report


@blp.route("/impact")
class ImpactView(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ImpactSchema)
    @blp.doc(**_doc(ImpactSchema, "verified and projected impact, financed emissions"))
    def get(self, args):
        """Verified against projected savings, tCO2e avoided, money per tonne, PCAF financed emissions."""
        report = services.impact_report(current_actor(), args)
        if args["format"] == "json":
            return report
        tables = sheets.impact_tables(report)
        if args["format"] == "csv":
            return download(sheets.to_csv(tables["Indicators"]), _name("impact", "csv"), "text/csv")
        return download(sheets.to_xlsx(tables, services.IMPACT_NOTES), _name("impact", "xlsx"), XLSX)


@blp.route("/loan-tape")
class LoanTapeView(MethodView):
    @blp.arguments(TapeArgsSchema, location="query")
    @blp.response(200, TapeSchema)
    @blp.doc(**_doc(TapeSchema, "one row per loan: terms, balances, days past due, guarantee, grant"))
    def get(self, args):
        """The loan tape as of today (CSV by default), in the columns the import reads."""
        frame = services.tape_report(current_actor(), args)
        if args["format"] == "json":
            return {"as_of": clock.today(), "items": loan_tape.to_json_rows(frame)}
        labelled = loan_tape.labelled(frame)
        if args["format"] == "csv":
            return download(sheets.to_csv(labelled), _name("loan-tape", "csv"), "text/csv")
        return download(sheets.to_xlsx({"Loan tape": labelled}), _name("loan-tape", "xlsx"), XLSX)


@blp.route("/loan-tape/import")
class LoanTapeImportView(MethodView):
    @blp.arguments(TapeImportArgsSchema, location="query")
    @blp.response(201, TapeImportSchema)
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "the loan tape, CSV or .xlsx, in the export's columns"}}}}}},
             responses={"200": {"description": "dry run: the file is valid; what would be created"},
                        "409": {"description": "this file (same SHA-256) was already imported"}})
    def post(self, args):
        """Import a loan tape (fund admin): every row checked first, then all loans created, or none."""
        upload = request.files.get("file")
        if upload is None:
            tape_import.require_importer(current_actor())
            raise ValidationFailed("send the loan tape as a file", {"file": ["a CSV or .xlsx file is required"]})
        summary = tape_import.import_tape(current_actor(), upload.read(), upload.filename or "loan-tape.csv",
                                          dry_run=args["dry_run"])
        return summary, 200 if args["dry_run"] else 201
