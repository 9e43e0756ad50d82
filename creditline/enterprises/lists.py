"""The enterprises list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from ..listing import AMOUNTS, SEARCH, Column, Filter, ListSpec
from .models import Enterprise

ENTERPRISES = ListSpec(
    name="enterprises", title="Enterprises", noun="enterprise",
    columns=(
        Column("legal_name", "Legal name", lambda e: e.legal_name, Enterprise.legal_name),
        Column("tax_id", "Tax id", lambda e: e.tax_id, Enterprise.tax_id),
        Column("country", "Country", lambda e: e.country, Enterprise.country),
        Column("isic_code", "ISIC code", lambda e: e.isic_code, Enterprise.isic_code),
        Column("employees", "Employees", lambda e: e.employees, Enterprise.employees, kind="number",
               unit="people"),
        Column("annual_turnover", "Annual turnover", lambda e: e.annual_turnover, Enterprise.annual_turnover,
               kind="money"),
        Column("total_assets", "Total assets", lambda e: e.total_assets, Enterprise.total_assets, kind="money"),
        Column("domestic_ownership_share", "Domestic ownership", lambda e: e.domestic_ownership_share,
               Enterprise.domestic_ownership_share, kind="percent"),
        Column("operating_since", "Operating since", lambda e: e.operating_since, Enterprise.operating_since,
               kind="date"),
    ),
    filters=(
        Filter("q", "Name or tax id", SEARCH, (Enterprise.legal_name, Enterprise.tax_id)),
        Filter("sector", "ISIC code", SEARCH, (Enterprise.isic_code,)),
        Filter("total_assets", "Total assets", AMOUNTS, (Enterprise.total_assets,)),
    ),
    default_sort="legal_name", tiebreak=Enterprise.id,
    empty="No enterprise registered yet. Register yours to draft a proposal: size, sector and ownership decide "
          "which credit lines you can use.",
)
