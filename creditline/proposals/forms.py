"""Turn the proposal page's flat form fields into the API body, and errors back into fields."""
from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

# Shared with every page that shows a schema's errors; kept importable from here for old callers.

TEXT_FIELDS = ("title", "description", "currency", "output_unit", "main_indicator")
NUMBER_FIELDS = ("investment", "eligible_cost", "loan_amount", "own_contribution", "annual_savings",
                 "annual_extra_operating_cost")
INT_FIELDS = ("economic_life_years", "implementation_months", "credit_line_id", "enterprise_id", "bank_id")
INDICATOR_COLUMNS = ("stream", "unit", "baseline_quantity", "baseline_output", "projected_quantity",
                     "projected_output")
TECH_FIELDS = ("description", "supplier", "readiness", "class")
COST_COLUMNS = ("category", "description", "amount")
# The labels the proposal page shows; errors name fields by these ("Cost item 2: amount" for a row's cell).
LABELS = {"title": "Title", "description": "Description", "currency": "Currency", "investment": "Total investment",
          "eligible_cost": "Eligible cost", "loan_amount": "Loan requested", "own_contribution": "Own contribution",
          "annual_savings": "Annual savings", "annual_extra_operating_cost": "Annual extra operating cost",
          "economic_life_years": "Economic life (years)", "implementation_months": "Implementation (months)",
          "credit_line_id": "Credit line", "enterprise_id": "Enterprise", "bank_id": "Bank",
          "cp_options": "Cleaner-production option types", "technology": "Technology",
          "technology.description": "Equipment", "technology.supplier": "Supplier", "technology.readiness": "Readiness",
          "technology.class": "Technology class", "output_unit": "Unit of production output",
          "main_indicator": "Main indicator", "indicators": "Indicators", "cost_items": "Budget by item",
          "category": "category", "amount": "amount", "stream": "stream", "unit": "unit",
          "_schema": "The proposal"}
IDS = {"technology.readiness": "f-readiness", "cp_options": "proposal-form"}
# The most table rows the page can post back; the row counts come from the browser, so they are bounded.
MAX_FORM_ROWS = 100


def row_count(form: MultiDict, name: str) -> int:
    """Read a table's row count from the form: garbage gives 0, anything else is clamped to 0..MAX_FORM_ROWS."""
    text = (form.get(name) or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 0
    return min(int(text) if len(text) <= 4 else MAX_FORM_ROWS, MAX_FORM_ROWS)


def form_to_body(form: MultiDict) -> dict[str, Any]:
    """Build the design §5 body from the form; blanks are left out so drafts stay partial."""
    body: dict[str, Any] = {}
    for key in TEXT_FIELDS + NUMBER_FIELDS:
        value = (form.get(key) or "").strip()
        if value:
            body[key] = value
    for key in INT_FIELDS:
        value = (form.get(key) or "").strip()
        if value:
            body[key] = int(value) if value.lstrip("-").isdigit() else value
    options = form.getlist("cp_options")
    if options:
        body["cp_options"] = options
    tech = {k: (form.get(f"technology.{k}") or "").strip() for k in TECH_FIELDS}
    tech = {k: v for k, v in tech.items() if v}
    if tech:
        body["technology"] = tech
    rows = []
    for n in range(row_count(form, "indicator_rows")):
        row = {c: (form.get(f"indicators.{n}.{c}") or "").strip() for c in INDICATOR_COLUMNS}
        if any(row[c] for c in INDICATOR_COLUMNS if c not in ("stream", "unit")):
            rows.append(row)
    if rows or form.get("indicator_rows"):
        body["indicators"] = rows
    items = []
    for n in range(row_count(form, "cost_rows")):
        item = {c: (form.get(f"cost_items.{n}.{c}") or "").strip() for c in COST_COLUMNS}
        # A row without an amount or description is an unused line of the table.
        if item["amount"] or item["description"]:
            items.append(item)
    if items:
        body["cost_items"] = items
        body.pop("eligible_cost", None)  # computed from the items (the form says so)
    elif form.get("cost_rows"):
        body["cost_items"] = None
    return body
