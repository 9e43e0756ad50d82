"""The batch result: three tables, and each loan's result in the shape of design §5.

Rounding happens here, once, for both paths: specific consumption to 6 significant digits
(``"20.0000"``, ``"0.000123457"``), quantities and outputs to 3 decimals, tCO2e a year to
3 decimals (kilograms), all as decimal strings rounded half-up; improvements, net improvement,
production change and coverage as floats rounded to 4 decimals. Undefined figures are None.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from creditline.measurement.offsets import net_basis, worse_mask
from creditline.measurement.sufficiency import day_strings
from creditline.measurement.tables import NO_DAY

if TYPE_CHECKING:
    from creditline.measurement.periods import PeriodBlocks
    from creditline.measurement.tables import Plans

THOUSANDTH = Decimal("0.001")


def _finite(value: Any) -> TypeGuard[float]:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str | None:
    # pandas may hold a missing text as NaN rather than None.
    return value if isinstance(value, str) else None


def significant_text(value: float | None, digits: int = 6) -> str | None:
    """Round to ``digits`` significant digits, half-up, as a plain decimal string."""
    if not _finite(value) or math.isinf(value):
        return None
    exact = Decimal(repr(float(value)))
    if exact == 0:
        return "0"
    quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return format(exact.quantize(quantum, rounding=ROUND_HALF_UP), "f")


def fixed_text(value: float | None, quantum: Decimal = THOUSANDTH) -> str | None:
    """Round half-up to a fixed number of decimals, as a plain decimal string."""
    if not _finite(value) or math.isinf(value):
        return None
    return format(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP), "f")


def share(value: float | None) -> float | None:
    """Round a share or rate to 4 decimals; None when undefined."""
    if not _finite(value) or math.isinf(value):
        return None
    return round(float(value), 4) + 0.0


@dataclass
class BatchResult:
    """Per-indicator, per-loan and per-flag tables of one batch verification."""

    indicators: pd.DataFrame
    loans: pd.DataFrame
    flags: pd.DataFrame
    settings: dict[str, Any]
    _position: dict[Any, int] = field(default_factory=dict, repr=False)
    _flag_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _plan_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)

    @classmethod
    def build(cls, plan: Plans, blocks: PeriodBlocks, figures: dict[str, np.ndarray],
              loans: dict[str, np.ndarray], flags: pd.DataFrame,
              cfg: dict[str, Any]) -> BatchResult:
        """Assemble the tables from the kernel's arrays."""
        names = np.asarray(plan.names, dtype=object)
        loan_id = plan.loan_ids
        indicators = pd.DataFrame({
            "loan_id": loan_id[plan.loan], "indicator": names[plan.ind], "unit": plan.unit,
            "is_main": plan.is_main, "baseline_quantity": plan.baseline_quantity,
            "baseline_output": plan.baseline_output, **figures,
            "worse": worse_mask(figures["improvement"], figures["new_stream"]),
            "emission_factor": loans.pop("emission_factor"),
        })
        has_window = (blocks.loan_window_start != NO_DAY) & (blocks.loan_window_end != NO_DAY)
        window = {k: np.where(has_window, day_strings(np.where(has_window, v, 0)), None)  # type: ignore[call-overload]
                  for k, v in (("window_start", blocks.loan_window_start),
                               ("window_end", blocks.loan_window_end))}
        loan_table = pd.DataFrame({
            "loan_id": loan_id, "main_indicator": names[plan.ind[plan.main_row]],
            "output_unit": plan.output_unit, "offset_method": cfg["offset_method"],
            **loans, "reporting_output": blocks.loan_output,
            "usable_periods": blocks.loan_periods, **window,
        })
        codes = flags["loan"].to_numpy()
        flag_table = pd.DataFrame({
            "loan_id": loan_id[codes], "code": flags["code"], "indicator": flags["indicator"],
            "period": flags["period"], "message": flags["message"],
            "blocking": flags["blocking"], "loan": codes,
        })
        result = cls(indicators=indicators, loans=loan_table, flags=flag_table, settings=cfg)
        result._position = {lid: i for i, lid in enumerate(loan_id.tolist())}
        result._flag_start = np.searchsorted(codes, np.arange(plan.n_loans + 1))
        result._plan_start = np.append(plan.loan_start, plan.n_rows)
        return result

    def loan_ids(self) -> list[Any]:
        """List the loans in the batch, in the plans table's order."""
        return list(self._position)

    def result(self, loan_id: Any) -> dict[str, Any]:
        """Render one loan's verification result as plain JSON-ready values."""
        i = self._position[loan_id]
        loan = self.loans.iloc[i]
        rows = self.indicators.iloc[self._plan_start[i]:self._plan_start[i + 1]]
        out_unit = loan["output_unit"]
        per_indicator: dict[str, dict[str, Any]] = {}
        worse: list[dict[str, Any]] = []
        for r in rows.itertuples(index=False):
            per_indicator[r.indicator] = {
                "unit": r.unit, "main": bool(r.is_main),
                "baseline_specific": significant_text(r.baseline_specific),
                "reporting_specific": significant_text(r.reporting_specific),
                "improvement": share(r.improvement),
                "baseline_quantity": fixed_text(r.baseline_quantity),
                "baseline_output": fixed_text(r.baseline_output),
                "reporting_quantity": fixed_text(r.reporting_quantity),
                "reporting_output": fixed_text(r.reporting_output),
                "coverage": share(r.coverage), "periods": int(r.periods),
            }
            if r.worse:
                worse.append(_worse_entry(r, out_unit))
        flag_rows = self.flags.iloc[self._flag_start[i]:self._flag_start[i + 1]]
        flags = [{"code": f.code, "indicator": _text(f.indicator),
                  "period": int(f.period) if _finite(f.period) else None,
                  "message": f.message, "blocking": bool(f.blocking)}
                 for f in flag_rows.itertuples(index=False)]
        energy = [r.indicator for r in rows.itertuples(index=False)
                  if math.isfinite(r.emission_factor)]
        main = loan["main_indicator"]
        return {
            "main_indicator": main, "output_unit": out_unit,
            "indicators": per_indicator,
            "improvement": {k: v["improvement"] for k, v in per_indicator.items()},
            "main_improvement": share(loan["main_improvement"]),
            "worse": worse,
            "offset_method": loan["offset_method"],
            "net_improvement": share(loan["net_improvement"]),
            "net_basis": net_basis(loan["offset_method"], main, main in energy, energy,
                                   [w["indicator"] for w in worse]),
            "co2e_avoided_t_per_year": fixed_text(loan["co2e_avoided_t_per_year"]),
            "reporting_output": fixed_text(loan["reporting_output"]),
            "annual_output": fixed_text(loan["annual_output"]),
            "baseline_annual_output": fixed_text(loan["baseline_annual_output"]),
            "production_change": share(loan["production_change"]),
            "usable_periods": int(loan["usable_periods"]),
            "window": {"start": _text(loan["window_start"]), "end": _text(loan["window_end"])},
            "sufficiency": flags,
            "sufficient": bool(loan["sufficient"]),
        }

    def results(self) -> dict[Any, dict[str, Any]]:
        """Render every loan's result, keyed by loan id."""
        return {loan_id: self.result(loan_id) for loan_id in self._position}


def _worse_entry(r: Any, out_unit: str) -> dict[str, Any]:
    unit = f"{r.unit}/{out_unit}" if r.unit and out_unit else "per unit of output"
    now = significant_text(r.reporting_specific)
    if r.new_stream:
        return {"indicator": r.indicator, "improvement": None, "new_stream": True,
                "message": f"{r.indicator} is new: none at baseline, {now} {unit} now"}
    return {"indicator": r.indicator, "improvement": share(r.improvement), "new_stream": False,
            "message": f"{r.indicator} per unit of output rose {-r.improvement:.1%} "
                       f"({significant_text(r.baseline_specific)} to {now} {unit})"}
