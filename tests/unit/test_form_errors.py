"""Form errors in people's words: labels for paths, plain sentences for marshmallow's defaults."""
from marshmallow import Schema, ValidationError, fields

from creditline.form_errors import FormErrors, flatten, label_of, plain_message, upload_problems


class Row(Schema):
    baseline_quantity = fields.Decimal(required=True)


class Body(Schema):
    title = fields.String(required=True)
    investment = fields.Decimal()
    corrections = fields.List(fields.Nested(Row))


def test_nested_rows_are_named_by_their_noun_and_number():
    try:
        Body().load({"investment": "abc", "corrections": [{"baseline_quantity": 1}, {}]})
    except ValidationError as exc:
        errors = FormErrors(exc.messages, {"investment": "Total investment"})
    got = {(e.label, e.message, e.field_id) for e in errors}
    assert got == {("Title", "Enter the title.", "f-title"),
                   ("Total investment", "Enter a number, e.g. 12,500.00.", "f-investment"),
                   ("Indicator 2: baseline quantity", "Enter the baseline quantity.", "f-corrections-1-baseline_quantity")}
    assert errors.get("corrections.1.baseline_quantity") == ["Enter the baseline quantity."]
    assert errors.get("nope") is None and errors.nope is None and len(errors) == 3


def test_labels_messages_and_reprs():
    assert label_of("cost_items.2.amount", {}) == "Cost item 3: amount"
    assert label_of("technology.readiness", {"technology.readiness": "Readiness"}) == "Readiness"
    assert label_of("_schema", {}) == "This form"
    assert plain_message("Not a valid integer.", "Tenor") == "Enter a whole number, e.g. 12."
    assert plain_message("Missing data for required field.", "NCPC") == "Enter the NCPC."
    assert plain_message("Must be one of: a, b.", "Kind") == "Choose one of: a, b."
    assert plain_message("got Decimal('10') on datetime.date(2026, 1, 2)", "x") == "got 10 on 2026-01-02"
    assert plain_message("not a valid amount, got 1e99", "Amount") == "Enter an amount such as 12,500.00 (you entered 1e99)."
    assert flatten({"a": {"0": {"b": ["x"]}}, "c": "y"}) == {"a.0.b": ["x"], "c": ["y"]}


def test_upload_problems_are_rows_columns_and_problems():
    problems = upload_problems({"row 7: quantity": ["Not a valid number."], "file": ["choose a CSV or Excel file"]})
    assert [(p.row, p.column, p.problem) for p in problems] == [
        (7, "quantity", "Enter a number, e.g. 12,500.00."), (None, "the file", "choose a CSV or Excel file")]
