"""Test data built from the published cases, as API bodies."""
from __future__ import annotations

import copy
from typing import Any

# The design's example: water-efficient dyeing machines for a textile SME (Colombia and Viet Nam
# lines financed such equipment), water -55% per tonne of fabric.
DYEING = {
    "title": "Water-efficient dyeing machines", "cp_options": ["technology_change"],
    "currency": "USD", "investment": "100000.00", "eligible_cost": "95000.00",
    "loan_amount": "80000.00", "own_contribution": "20000.00",
    "economic_life_years": 10, "annual_savings": "25000.00",
    "annual_extra_operating_cost": "5000.00", "implementation_months": 6,
    "technology": {"description": "Low liquor ratio jet dyeing machines", "supplier": "Thies GmbH",
                   "readiness": "commercial", "class": "textile_dyeing_low_liquor_ratio"},
    "output_unit": "t", "main_indicator": "water",
    "indicators": [
        {"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
         "projected_quantity": "45000", "projected_output": "5000"},
        {"stream": "electricity", "unit": "kWh", "baseline_quantity": "900000", "baseline_output": "5000",
         "projected_quantity": "700000", "projected_output": "5000"},
    ],
    "other_incentives": [],
}


def proposal_body(line_id: int, enterprise_id: int, **overrides: Any) -> dict[str, Any]:
    """Return the dyeing proposal for a line and enterprise, with overrides applied."""
    body = copy.deepcopy(DYEING)
    body.update(credit_line_id=line_id, enterprise_id=enterprise_id)
    body.update(overrides)
    return body
