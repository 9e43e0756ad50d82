"""Engine-level proposal rows (body + enterprise + date) built from the published cases."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from creditline.rules.loader import Rulebook, load_rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"

ENTERPRISE = {"legal_name": "Saigon Dyeing & Finishing Co., Ltd.", "country": "VN", "isic_code": "1313",
              "employees": 180, "annual_turnover": "6500000", "total_assets": "4200000",
              "domestic_ownership_share": "1", "operating_since": "2001-03-01"}

DYEING_ROW: dict[str, Any] = {
    "title": "Water-efficient dyeing machines", "cp_options": ["technology_change"], "currency": "USD",
    "investment": "100000.00", "eligible_cost": "95000.00", "loan_amount": "80000.00",
    "own_contribution": "20000.00", "economic_life_years": 10, "annual_savings": "25000.00",
    "annual_extra_operating_cost": "5000.00", "implementation_months": 6,
    "technology": {"readiness": "commercial", "class": "textile_dyeing_low_liquor_ratio"},
    "output_unit": "t", "main_indicator": "water",
    "indicators": [
        {"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
         "projected_quantity": "45000", "projected_output": "5000"},
        {"stream": "electricity", "unit": "kWh", "baseline_quantity": "900000", "baseline_output": "5000",
         "projected_quantity": "700000", "projected_output": "5000"},
    ],
    "documents": [], "other_incentives": [], "enterprise": ENTERPRISE, "as_of": "2026-11-23",
}


def row(**overrides: Any) -> dict[str, Any]:
    """The dyeing row with overrides (deep-copied, so tests never share state)."""
    out = copy.deepcopy(DYEING_ROW)
    out.update(copy.deepcopy(overrides))
    return out


def water(baseline: str, projected: str, output: str = "5000") -> list[dict[str, str]]:
    return [{"stream": "water", "unit": "m3", "baseline_quantity": baseline, "baseline_output": output,
             "projected_quantity": projected, "projected_output": output}]


def book(name: str) -> Rulebook:
    return load_rulebook(RULES / f"{name}.yaml")


BOOKS = ("gctf-vn", "gctf-co", "gctf-pe", "ebrd-ee")
