"""Portfolio and impact reporting, the loan tape, and the SME's flows picture (read only)."""
