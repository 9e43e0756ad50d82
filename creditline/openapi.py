"""How marshmallow fields appear in openapi.json: as they travel on the wire, not as Python sees them."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_EXAMPLE = "80000.00"
QUANTITY_EXAMPLE = "1250.5"


def decimal_pattern(field: fields.Decimal) -> str:
    """The regular expression every value of a decimal-string field matches, in and out.

    Fixed-point only (marshmallow dumps ``format(value, "f")``), so never "1E+3" or "NaN"; a
    field with ``places`` carries at most that many decimals; a field that may not go below
    zero has no sign.
    """
    lowest = min((v.min for v in field.validators if isinstance(v, validate.Range) and v.min is not None),
                 default=None)
    sign = "" if lowest is not None and Decimal(str(lowest)) >= 0 else "-?"
    # marshmallow keeps ``places=2`` as the quantum Decimal("0.01").
    decimals = r"\d+" if field.places is None else rf"\d{{1,{-field.places.as_tuple().exponent}}}"
    return rf"^{sign}\d+(\.{decimals})?$"


def decimal_strings(self: Any, field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Document a decimal that travels as a string (money, quantities) as a string with a pattern.

    apispec calls every Decimal a number, and copies its bounds as strings ("0.00"), which both
    lie about the wire format. Bounds of a string do not validate in JSON Schema, so they move to
    ``x-minimum``/``x-maximum`` for people to read.
    """
    if not isinstance(field, fields.Decimal):
        return {}
    if not field.as_string:
        return {key: float(Decimal(str(ret[key]))) for key in ("minimum", "maximum") if key in ret}
    extra: dict[str, Any] = {"type": "string", "format": "decimal", "pattern": decimal_pattern(field)}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in ret:
            value = ret.pop(key)  # OpenAPI 3.0's exclusive bounds are flags next to the bound
            extra[f"x-{key}"] = value if isinstance(value, bool) else str(value)
    if "example" not in ret:
        extra["example"] = MONEY_EXAMPLE if field.places is not None else QUANTITY_EXAMPLE
    return extra


class CreditlinePlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin documenting our decimal strings truthfully."""

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.converter.add_attribute_function(decimal_strings)


def file_response(description: str, *media_types: str, status: int = 200) -> dict[str, Any]:
    """The ``@blp.doc`` of a route that answers a file (PDF, CSV, XLSX) rather than JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {str(status): {"description": description,
                                        "content": {media_type: binary for media_type in media_types}}}}
