"""The impact report: verified against projected savings, CO2e avoided and financed emissions (pure pandas).

Savings are a year's worth at the output the figures were measured at:
- projected: baseline quantity per output x projected output - projected quantity (the proposal);
- verified: (baseline - reporting specific consumption) x the annualised reporting output (the
  confirmed verification in force), the same basis as the verification's own tCO2e figure;
- tCO2e: a saving x the credit line's rulebook factor (``emission_factors``, t CO2e per unit);
- cumulative tCO2e: the verified rate x the years since its first reporting period began;
- money saved: the proposal's net annual savings scaled by verified / projected improvement of
  its main indicator (an estimate: the verification measures quantities, not prices).

Financed emissions follow PCAF: the enterprise's emissions x outstanding principal / its total
debt and equity (its total assets). Data quality: 1 = emissions from verified reported quantities
(a confirmed verification); 3 = physical activity data (the proposal's measured baseline);
5 = no physical data (no emission estimate). Score 2 (reported, not verified) and 4 (economic
activity) are not produced: the system holds no unverified emission reports nor sector intensities.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .portfolio import guarantee_positions, loan_positions, money

WATER = ("water",)
WASTEWATER = ("wastewater",)
WASTE = ("solid_waste", "hazardous_waste")


def _result(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def verified_streams(verifications: pd.DataFrame) -> pd.DataFrame:
    """One row per (proposal, stream) of each confirmed verification in force."""
    rows = []
    results = verifications["result"].tolist() if "result" in verifications else [None] * len(verifications)
    for proposal_id, value in zip(verifications["proposal_id"].tolist(), results):
        result = _result(value)
        annual = float(result.get("annual_output") or 0)
        start = (result.get("window") or {}).get("start")
        for stream, ind in (result.get("indicators") or {}).items():
            base, rep = ind.get("baseline_specific"), ind.get("reporting_specific")
            saving = (float(base) - float(rep)) * annual if base is not None and rep is not None else np.nan
            rows.append({"proposal_id": proposal_id, "stream": stream, "verified_saving": saving,
                         "verified_quantity": float(rep) * annual if rep is not None else np.nan,
                         "main": bool(ind.get("main")), "improvement": ind.get("improvement"),
                         "since": start})
    return pd.DataFrame(rows, columns=["proposal_id", "stream", "verified_saving", "verified_quantity", "main",
                                       "improvement", "since"])


def stream_table(indicators: pd.DataFrame, verifications: pd.DataFrame, proposals: pd.DataFrame,
                 factors: dict[int, dict[str, float]]) -> pd.DataFrame:
    """Projected and verified savings and tCO2e per (proposal, stream)."""
    ind = indicators.copy()
    base_spec = ind["baseline_quantity"] / ind["baseline_output"].replace(0, np.nan)
    ind["baseline_annual"] = ind["baseline_quantity"]
    ind["projected_saving"] = base_spec * ind["projected_output"] - ind["projected_quantity"]
    proj_spec = ind["projected_quantity"] / ind["projected_output"].replace(0, np.nan)
    ind["projected_improvement"] = 1 - proj_spec / base_spec
    ind = ind.merge(verified_streams(verifications), on=["proposal_id", "stream"], how="left")
    meta = proposals[["proposal_id", "credit_line_id", "isic_code", "main_indicator", "currency"]]
    ind = ind.merge(meta, on="proposal_id", how="left")
    table = pd.DataFrame([(line, stream, float(f)) for line, fs in factors.items() for stream, f in fs.items()],
                         columns=["credit_line_id", "stream", "factor"])
    table["credit_line_id"] = table["credit_line_id"].astype(ind["credit_line_id"].dtype)
    ind = ind.merge(table, on=["credit_line_id", "stream"], how="left")
    ind["projected_co2e"] = ind["projected_saving"] * ind["factor"]
    ind["verified_co2e"] = ind["verified_saving"] * ind["factor"]
    ind["verified"] = ind["proposal_id"].isin(set(verifications["proposal_id"])) if not verifications.empty else False
    return ind


def _sum(values: pd.Series) -> float:
    return float(np.nansum(values.to_numpy(dtype=float)))


def _years_since(since: pd.Series, today: date) -> pd.Series:
    start = pd.to_datetime(since, errors="coerce")
    return ((pd.Timestamp(today) - start).dt.days.clip(lower=0) / 365.25).fillna(0)


def _q(value: float, places: str = "0.001") -> str:
    return str(Decimal(repr(float(value))).quantize(Decimal(places)))


def impact(frames: Any, factors: dict[int, dict[str, float]]) -> dict[str, Any]:
    """The impact report for the proposals and loans in view."""
    proposals = frames.proposals
    streams = stream_table(frames.indicators, frames.verifications, proposals, factors)
    verified = streams[streams["verified"]]
    per_indicator = []
    for (stream, unit), rows in streams.groupby(["stream", "unit"]):
        v = rows[rows["verified"]]
        per_indicator.append({"stream": stream, "unit": unit, "proposals": int(rows["proposal_id"].nunique()),
                              "projected_saving": _q(_sum(rows["projected_saving"])),
                              "verified_proposals": int(v["proposal_id"].nunique()),
                              "projected_saving_of_verified": _q(_sum(v["projected_saving"])),
                              "verified_saving": _q(_sum(v["verified_saving"]))})
    # sum() skips missing values as np.nansum does (an all-missing group sums to 0).
    by_proposal = verified.groupby("proposal_id").agg(co2e=("verified_co2e", "sum"), since=("since", "first"))
    annual_co2e = float(by_proposal["co2e"].sum()) if not by_proposal.empty else 0.0
    cumulative = float((by_proposal["co2e"] * _years_since(by_proposal["since"], frames.today)).sum()) \
        if not by_proposal.empty else 0.0
    sectors = []
    streams["sector"] = "ISIC " + streams["isic_code"].fillna("").astype(str).str[:3]
    for sector, rows in streams.groupby("sector"):
        v = rows[rows["verified"]]
        sectors.append({"sector": sector, "proposals": int(rows["proposal_id"].nunique()),
                        "verified_proposals": int(v["proposal_id"].nunique()),
                        "projected_co2e_t_per_year": _q(_sum(rows["projected_co2e"])),
                        "projected_co2e_of_verified": _q(_sum(v["projected_co2e"])),
                        "verified_co2e_t_per_year": _q(_sum(v["verified_co2e"])),
                        "delivery": (round(_sum(v["verified_co2e"]) / _sum(v["projected_co2e"]), 4)
                                     if _sum(v["projected_co2e"]) else None)})
    money_rows = _money_saved(proposals, streams)
    loans = loan_positions(frames.loans, frames.today)
    guarantees = guarantee_positions(frames.guarantees, loans)
    return {
        "as_of": frames.today,
        "co2e_t_per_year": {"projected": _q(_sum(streams["projected_co2e"])),
                            "projected_of_verified": _q(_sum(verified["projected_co2e"])),
                            "verified": _q(annual_co2e), "verified_cumulative": _q(cumulative)},
        "water_m3_per_year": _kind(streams, WATER), "wastewater_m3_per_year": _kind(streams, WASTEWATER),
        "waste_t_per_year": _kind(streams, WASTE),
        "indicators": per_indicator, "sectors": sectors, "money": money_rows,
        "cost_per_tonne": _cost_per_tonne(frames, guarantees, by_proposal),
        "financed_emissions": financed_emissions(loans, proposals, streams),
    }


def _kind(streams: pd.DataFrame, kinds: tuple[str, ...]) -> dict[str, str]:
    rows = streams[streams["stream"].isin(kinds)]
    v = rows[rows["verified"]]
    return {"projected": _q(_sum(rows["projected_saving"])), "projected_of_verified": _q(_sum(v["projected_saving"])),
            "verified": _q(_sum(v["verified_saving"]))}


def _money_saved(proposals: pd.DataFrame, streams: pd.DataFrame) -> list[dict[str, Any]]:
    main = streams[streams["stream"] == streams["main_indicator"]]
    scale = (main["improvement"].astype(float) / main["projected_improvement"]).replace([np.inf, -np.inf], np.nan)
    scale = pd.Series(scale.to_numpy(), index=main["proposal_id"]).groupby(level=0).first()
    net = proposals.set_index("proposal_id")
    net = (net["annual_savings_c"].fillna(0) - net["extra_cost_c"].fillna(0)).astype(float)
    scale = scale.dropna()
    out = []
    for currency, ids in proposals.groupby("currency")["proposal_id"]:
        verified_ids = ids[ids.isin(scale.index)].tolist()
        out.append({"currency": currency, "projected_per_year": money(net.reindex(ids.tolist()).sum()),
                    "projected_of_verified_per_year": money(net.reindex(verified_ids).sum()),
                    "verified_estimate_per_year": money(round(float((net.reindex(verified_ids)
                                                                     * scale.reindex(verified_ids)).sum())))})
    return out


def _cost_per_tonne(frames: Any, guarantees: pd.DataFrame, by_proposal: pd.DataFrame) -> list[dict[str, Any]]:
    """Grant paid and guarantee cover per tonne of CO2e a year verified, per currency."""
    ids = set(by_proposal.index)
    co2e = by_proposal["co2e"] if not by_proposal.empty else pd.Series(dtype=float)
    currency = dict(zip(frames.lines["credit_line_id"], frames.lines["currency"]))
    grants = frames.grants[(frames.grants["status"] == "paid") & frames.grants["proposal_id"].isin(ids)]
    lent = frames.loans[["loan_id", "proposal_id"]]
    cover = guarantees.merge(lent, on="loan_id")
    cover = cover[cover["proposal_id"].isin(ids) & cover["status"].isin(("issued", "called", "paid", "recovered",
                                                                         "released"))]
    out = []
    for cur in sorted(set(currency.values())):
        g_ids = grants[grants["credit_line_id"].map(currency) == cur]
        c_ids = cover[cover["currency"] == cur]
        tonnes = float(co2e.reindex(list(set(g_ids["proposal_id"]) | set(c_ids["proposal_id"]))).sum())
        grant_c, cover_c = int(g_ids["amount_c"].sum()), int(c_ids["covered_c"].sum())
        out.append({"currency": cur, "grants_paid": money(grant_c), "guarantee_cover": money(cover_c),
                    "co2e_t_per_year": _q(tonnes),
                    "grant_per_t_co2e_per_year": money(round(grant_c / tonnes)) if tonnes > 0 else None,
                    "guarantee_per_t_co2e_per_year": money(round(cover_c / tonnes)) if tonnes > 0 else None})
    return out


def financed_emissions(loans: pd.DataFrame, proposals: pd.DataFrame, streams: pd.DataFrame) -> dict[str, Any]:
    """PCAF financed emissions per loan being repaid and for the portfolio, beside avoided emissions."""
    factored = streams[streams["factor"].notna()]
    verified = factored[factored["verified"]]
    v_emis = (verified["verified_quantity"] * verified["factor"]).groupby(verified["proposal_id"]).sum()
    b_emis = (factored["baseline_annual"] * factored["factor"]).groupby(factored["proposal_id"]).sum()
    avoided = (verified["verified_co2e"]).groupby(verified["proposal_id"]).sum()
    assets = pd.Series(proposals["total_assets_c"].to_numpy(), index=proposals["proposal_id"].to_numpy())
    assets = assets[~assets.index.duplicated(keep="last")]
    lent = loans[loans["outstanding_c"] > 0]
    # Every loan's figures as whole columns; only the row dictionaries are made one by one.
    pid = lent["proposal_id"].to_numpy()
    has_v, has_b = np.isin(pid, v_emis.index), np.isin(pid, b_emis.index)
    emissions = np.where(has_v, v_emis.reindex(pid).to_numpy(dtype=float),
                         np.where(has_b, b_emis.reindex(pid).to_numpy(dtype=float), np.nan))
    known = has_v | has_b
    score = np.select([has_v, has_b], [1, 3], 5)
    total_assets = assets.reindex(pid).to_numpy(dtype=float)
    has_assets = ~np.isnan(total_assets) & (total_assets != 0)
    outstanding = lent["outstanding_c"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum(1.0, outstanding / total_assets)
    financed = emissions * share
    has_financed = known & has_assets
    avoided_t = avoided.reindex(pid, fill_value=0.0).to_numpy(dtype=float)
    rows = [{"loan_id": int(loan), "enterprise": name, "currency": cur, "outstanding": money(out_c),
             "enterprise_debt_and_equity": money(ta) if ok_a else None,
             "attribution": round(sh, 4) if ok_a else None,
             "enterprise_t_co2e_per_year": _q(em) if ok_e else None,
             "financed_t_co2e_per_year": _q(fin) if ok_f else None,
             "data_quality": sc, "verified_avoided_t_co2e_per_year": _q(av)}
            for loan, name, cur, out_c, ta, ok_a, sh, em, ok_e, fin, ok_f, sc, av in zip(
                lent["loan_id"].tolist(), lent["enterprise"].tolist(), lent["currency"].tolist(), outstanding.tolist(),
                total_assets.tolist(), has_assets.tolist(), share.tolist(), emissions.tolist(), known.tolist(),
                financed.tolist(), has_financed.tolist(), score.tolist(), avoided_t.tolist())]
    # Added in the loans' order, one by one, as the figure has always been summed.
    total = 0.0
    for value in financed[has_financed].tolist():
        total += value or 0.0
    scores = [r["data_quality"] for r in rows]
    return {"loans": rows, "financed_t_co2e_per_year": _q(total),
            "weighted_data_quality": (round(float(np.average(scores, weights=[float(r["outstanding"]) for r in rows])), 2)
                                      if rows else None),
            "verified_avoided_t_co2e_per_year": _q(float(avoided.reindex(lent["proposal_id"]).sum()))}
