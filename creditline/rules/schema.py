"""The rulebook format, as one strict schema: every key known, every part typed, every mistake refused.

A misspelt key (``eligibilty:``) used to load a rulebook with no gates; here every mapping refuses
keys it does not know, required sections must be there, numbers must be numbers, conditions must
compile over known facts, and bands must neither overlap nor pay less for more. The same schema
prints the format for people (``flask rules schema``, the rulebook pages).
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from ..measurement.baseline_model import BAND_BASES, model_settings
from ..measurement.sufficiency import DEFAULT_SETTINGS, OFFSET_METHODS, resolve_settings
from ..vocabulary import DOCUMENT_KINDS, STREAMS
from .costs import COST_CATEGORIES
from .expressions import NUM, ExpressionError, compile_expression
from .facts import CATALOGUE, FACT_TYPES, SETS
from .grants import GRANT_CONDITIONS
from .rulebook import DIMENSIONS, Band, FastTrackClass, Gate, Note, ScoreRule

ON_FAIL = ("ineligible", "refer")
SENSITIVITY_FACTORS = ("annual_savings", "investment", "energy_prices")
FORMATS = ("money", "pct", "years", "int", "num", "ratio", "text")
DECISIONS = ("eligible", "referred", "ineligible")
PAID_AS = ("principal_reduction", "enterprise")


class Num(fields.Field):
    """A real number written as a number (not text, not true/false), finite, within bounds."""

    def __init__(self, lo: float | None = None, hi: float | None = None, integer: bool = False, **kw: Any):
        kw.setdefault("metadata", {"type": "whole number" if integer else "number"})
        super().__init__(**kw)
        self.lo, self.hi, self.integer = lo, hi, integer

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"must be a number, not {str(value)[:40]!r}")
        if self.integer and not isinstance(value, int):
            raise ValidationError(f"must be a whole number, not {value!r}")
        try:
            # A 400-digit integer overflows float; inf or nan would poison every score.
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise ValidationError("must be a finite number of sensible size")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise ValidationError(f"is {value}, outside {self.lo} to {self.hi}")
        return int(value) if self.integer else float(value)


class Day(fields.Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, date):
            raise ValidationError("must be a date like 2007-01-01")
        return value


class Flag(fields.Field):
    """true or false, as YAML writes them (not 'yes' in quotes, not 1)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"must be true or false, not {str(value)[:40]!r}")
        return value


class Expression(fields.Field):
    """A condition (or, with ``want=NUM``, a number) over the facts of creditline/rules/facts.py."""

    def __init__(self, want: str = "bool", **kw: Any):
        kw.setdefault("metadata", {"type": "number expression" if want == NUM else "condition"})
        super().__init__(**kw)
        self.want = want

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        try:
            return compile_expression(value, FACT_TYPES, SETS, want=self.want)
        except ExpressionError as exc:
            raise ValidationError(str(exc)) from None


def Text(**kw: Any) -> fields.String:  # noqa: N802 - reads like the other field types
    return fields.String(**kw)


def one_of(choices: tuple[str, ...] | list[str], **kw: Any) -> fields.String:
    rule = validate.OneOf(choices, error="must be one of {choices}, not '{input}'")
    return fields.String(validate=rule, metadata={"one of": ", ".join(choices)}, **kw)


def items(inner: fields.Field, min_items: int = 0, **kw: Any) -> fields.List:
    return fields.List(inner, validate=validate.Length(min=min_items) if min_items else None, **kw)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class GateSchema(Strict):
    id = Text(required=True)
    description = Text(required=True)
    when = Expression(required=True)
    on_fail = one_of(ON_FAIL, load_default="ineligible")
    dimension = one_of(DIMENSIONS, load_default=None)
    says_pass = Text(data_key="pass", load_default=None)
    says_fail = Text(data_key="fail", load_default=None)
    source = Text(load_default="")

    @post_load
    def make(self, d: dict[str, Any], **kw: Any) -> Gate:
        return Gate(d["id"], d["description"], d["when"], d["on_fail"], d["dimension"],
                    d["says_pass"] or d["description"], d["says_fail"] or f"not met: {d['description']}", d["source"])


class BandSchema(Strict):
    when = Expression(required=True)
    points = Num(0, 100, required=True)
    says = Text(load_default="")

    @post_load
    def make(self, d: dict[str, Any], **kw: Any) -> Band:
        return Band(d["when"], d["points"], d["says"])


class ScoreRuleSchema(Strict):
    id = Text(required=True)
    description = Text(required=True)
    value = Expression(want=NUM, load_default=None)
    format = one_of(FORMATS, load_default=None)
    bands = items(fields.Nested(BandSchema), 1, required=True)
    otherwise = Text(load_default="no points")

    @post_load
    def make(self, d: dict[str, Any], **kw: Any) -> ScoreRule:
        value = d["value"]
        fmt = d["format"] or (CATALOGUE[value.names[0]].fmt if value is not None and value.names else "num")
        return ScoreRule(d["id"], "", d["description"], value, fmt, d["bands"], d["otherwise"])


class DimensionSchema(Strict):
    weight = Num(0, 1, required=True)
    rules = items(fields.Nested(ScoreRuleSchema), 1, required=True)

    @validates_schema
    def best_bands_make_100(self, d: dict[str, Any], **kw: Any) -> None:
        total = sum(r.max_points for r in d.get("rules", []))
        if d.get("rules") and abs(total - 100) > 1e-9:
            raise ValidationError(f"the best bands of its rules add up to {total:g} points; they must add up to 100")


class ScoringSchema(Strict):
    technical = fields.Nested(DimensionSchema, required=True)
    economic = fields.Nested(DimensionSchema, required=True)
    environmental = fields.Nested(DimensionSchema, required=True)

    @validates_schema(skip_on_field_errors=False)
    def weights_make_1(self, d: dict[str, Any], **kw: Any) -> None:
        weights = [d[k]["weight"] for k in DIMENSIONS if k in d and "weight" in d[k]]
        if len(weights) == len(DIMENSIONS) and abs(sum(weights) - 1) > 1e-9:
            raise ValidationError(f"the dimension weights add up to {sum(weights):g}; they must add up to 1")


class DecisionSchema(Strict):
    eligible_from = Num(0, 100, required=True)
    referred_from = Num(0, 100, required=True)
    min_each = Num(0, 100, load_default=0.0)

    @validates_schema
    def bands_in_order(self, d: dict[str, Any], **kw: Any) -> None:
        if "eligible_from" in d and "referred_from" in d and d["referred_from"] > d["eligible_from"]:
            raise ValidationError("'referred_from' must not be above 'eligible_from': the bands would overlap",
                                  field_name="referred_from")


class NoteSchema(Strict):
    id = Text(required=True)
    when = Expression(required=True)
    says = Text(required=True)

    @post_load
    def make(self, d: dict[str, Any], **kw: Any) -> Note:
        return Note(d["id"], d["when"], d["says"])


class FastTrackClassSchema(Strict):
    name = Text(data_key="class", required=True)
    description = Text(required=True)
    when = Expression(load_default=None)

    @post_load
    def make(self, d: dict[str, Any], **kw: Any) -> FastTrackClass:
        return FastTrackClass(d["name"], d["description"], d["when"] or compile_expression("true", FACT_TYPES, SETS))


class FastTrackSchema(Strict):
    score = Num(0, 100, load_default=100.0)
    source = Text()
    classes = items(fields.Nested(FastTrackClassSchema), load_default=list)


class FinanceLoanSchema(Strict):
    annual_rate = Num(0, 1)
    tenor_years = Num(0, 50)


class FinanceSchema(Strict):
    discount_rate = Num(0, 1, required=True)
    energy_share_of_savings = Num(0, 1, load_default=1.0)
    default_loan = fields.Nested(FinanceLoanSchema)


class EmissionFactorSchema(Strict):
    t_co2e_per_unit = Num(0, None, required=True)
    source = Text(required=True)


EmissionFactorsSchema = Strict.from_dict({s: fields.Nested(EmissionFactorSchema) for s in STREAMS},
                                         name="EmissionFactorsSchema")


class EligibleCostsSchema(Strict):
    categories = items(one_of(COST_CATEGORIES), load_default=lambda: list(COST_CATEGORIES))
    source = Text()


class DocumentSchema(Strict):
    kind = one_of(tuple(DOCUMENT_KINDS), required=True)
    description = Text(load_default=None)
    required = Flag(load_default=True)

    @post_load
    def describe(self, d: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return {**d, "description": d["description"] or DOCUMENT_KINDS.get(d["kind"], "")}


class SensitivitySchema(Strict):
    steps = items(Num(-0.99, 0.99, validate=lambda s: s != 0), load_default=lambda: [-0.2, 0.2])
    factors = items(one_of(SENSITIVITY_FACTORS), load_default=lambda: list(SENSITIVITY_FACTORS))


class ArrearsSchema(Strict):
    default_after_days = Num(1, 3650, integer=True, load_default=90)


class GuaranteeSchema(Strict):
    coverage = Num(0, 1)
    max_total_cover = Num(0, 1)
    fee_rate = Num(0, 1)
    cap = Num(0, None)
    fee_free_when_proceeds_to_approved_items = Flag()
    valid_to_end_of_loan = Flag()
    source = Text()


class GrantBandSchema(Strict):
    over = Num(0, 1, required=True)
    rate = Num(0, 1, required=True)


class GrantBandsSchema(Strict):
    scale = one_of(("steps", "graded"), load_default="steps")
    basis = one_of(("loan_amount", "eligible_cost"), load_default="loan_amount")
    cap = Num(0, None, load_default=None)
    inclusive = Flag(load_default=False)
    bands = items(fields.Nested(GrantBandSchema), 1, required=True)
    conditions = items(one_of(GRANT_CONDITIONS))
    paid_as = one_of(PAID_AS, load_default="principal_reduction")
    rate_step = Num(0.0001, 1, load_default=0.01)
    source = Text()

    @validates_schema
    def bands_rise(self, d: dict[str, Any], **kw: Any) -> None:
        bands = d.get("bands") or []
        overs, rates = [b["over"] for b in bands], [b["rate"] for b in bands]
        if any(b <= a for a, b in zip(overs, overs[1:])):
            raise ValidationError("bands overlap: list them by rising 'over' threshold, each threshold once",
                                  field_name="bands")
        if any(b < a for a, b in zip(rates, rates[1:])):
            raise ValidationError("a higher band pays a lower rate: more improvement must never earn less",
                                  field_name="bands")


class BaselineModelSchema(Strict):
    """The regression baseline a verifier may choose per indicator (fit thresholds, band basis)."""

    min_r2 = Num(0, 1)
    max_cv_rmse = Num(0, 100)
    max_abs_nmbe = Num(0, 100)
    min_abs_t = Num(0, 100)
    max_fixed_share_for_specific = Num(0, 1)
    min_baseline_months = Num(3, 120, integer=True)
    band_basis = one_of(BAND_BASES)
    source = Text()

    @validates_schema
    def settings_usable(self, d: dict[str, Any], **kw: Any) -> None:
        try:
            model_settings(d)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


VerificationSchema = Strict.from_dict({**{k: fields.Raw() for k in DEFAULT_SETTINGS if k != "offset_method"},
                                       "baseline_model": fields.Nested(BaselineModelSchema)},
                                      name="VerificationSchema")


class MonitoringSchema(Strict):
    offset_method = one_of(OFFSET_METHODS, load_default="min_of_all")
    verification = fields.Nested(VerificationSchema, load_default=dict)
    follow_up_months_after_start_up = items(Num(0, 120, integer=True))
    reporting_periods = Num(1, 120, integer=True)
    source = Text()

    @validates_schema
    def settings_usable(self, d: dict[str, Any], **kw: Any) -> None:
        try:
            resolve_settings({**d.get("verification", {}), "offset_method": d.get("offset_method", "min_of_all")})
        except (ValueError, TypeError, KeyError) as exc:
            raise ValidationError(str(exc), field_name="verification") from None


class ExpectedScoresSchema(Strict):
    technical = Num(0, 100)
    economic = Num(0, 100)
    environmental = Num(0, 100)
    total = Num(0, 100)


class ExpectSchema(Strict):
    decision = one_of(DECISIONS, required=True)
    scores = fields.Nested(ExpectedScoresSchema)
    failed_rules = items(Text())
    grant_rate = Num(0, 1)
    grant_amount = Num(0, None)


class CaseSchema(Strict):
    name = Text(required=True)
    source = Text()
    input = fields.Dict(keys=fields.String(), required=True, metadata={"type": "a proposal, as the engine reads it"})
    expect = fields.Nested(ExpectSchema, required=True)


OPTIONAL_SECTIONS = ("fast_track", "eligible_costs", "sensitivity", "arrears", "guarantee", "monitoring",
                     "emission_factors")


class RulebookSchema(Strict):
    id = Text(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$",
                                                      error="must be lower-case letters, digits and dashes"))
    version = Text(required=True, validate=validate.Length(1, 32))
    name = Text(load_default=None)
    currency = Text(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="must be a 3-letter code like USD"))
    effective_from = Day(load_default=None)
    sources = items(Text(), load_default=list)
    finance = fields.Nested(FinanceSchema, required=True)
    eligibility = items(fields.Nested(GateSchema), 1, required=True)
    scoring = fields.Nested(ScoringSchema, required=True)
    decision = fields.Nested(DecisionSchema, required=True)
    notes = items(fields.Nested(NoteSchema), load_default=list)
    fast_track = fields.Nested(FastTrackSchema)
    eligible_costs = fields.Nested(EligibleCostsSchema)
    documents = items(fields.Nested(DocumentSchema), load_default=list)
    emission_factors = fields.Nested(EmissionFactorsSchema)
    guarantee = fields.Nested(GuaranteeSchema)
    grant_bands = fields.Nested(GrantBandsSchema, required=True)
    arrears = fields.Nested(ArrearsSchema)
    monitoring = fields.Nested(MonitoringSchema)
    sensitivity = fields.Nested(SensitivitySchema)
    cases = items(fields.Nested(CaseSchema), load_default=list)

    @pre_load
    def sections_with_defaults(self, d: Any, **kw: Any) -> Any:
        # An optional section left out still gets its defaults, filled here once.
        if isinstance(d, dict):
            return {**{k: {} for k in OPTIONAL_SECTIONS if k not in d}, **d}
        return d

    @validates_schema
    def ids_once(self, d: dict[str, Any], **kw: Any) -> None:
        seen: set[str] = set()
        rules = [g.id for g in d.get("eligibility", [])]
        rules += [r.id for dim in (d.get("scoring") or {}).values() for r in dim.get("rules", [])]
        for rid in rules:
            if rid in seen:
                raise ValidationError(f"rule id '{rid}' is used twice; each rule needs its own id", field_name="eligibility")
            seen.add(rid)


def describe(schema: Schema | None = None, indent: int = 0) -> list[str]:
    """The format in words, one line per key: what ``flask rules schema`` prints and the pages show."""
    schema = schema or RulebookSchema()
    out: list[str] = []
    for name, f in schema.fields.items():
        key = f.data_key or name
        inner = f.inner if isinstance(f, fields.List) else f
        kind = ("list of " if isinstance(f, fields.List) else "") + _kind(inner)
        need = "required" if f.required else "optional"
        out.append(f"{'  ' * indent}{key}: {kind} ({need})")
        if isinstance(inner, fields.Nested):
            out += describe(inner.schema, indent + 1)
    return out


def _kind(f: fields.Field) -> str:
    if isinstance(f, fields.Nested):
        return "mapping"
    if "one of" in f.metadata:
        return "one of " + f.metadata["one of"]
    if "type" in f.metadata:
        return str(f.metadata["type"])
    return {fields.String: "text", Flag: "true/false", Day: "date", fields.Dict: "mapping"}.get(type(f), "value")
