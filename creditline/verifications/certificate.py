"""The verification certificate as a PDF (fpdf2, core fonts only)."""
from __future__ import annotations

import io
from typing import Any

from fpdf import FPDF

from ..pdf_layout import latin1


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


def model_lines(name: str, m: dict[str, Any]) -> list[str]:
    """The method, the model and its statistics, in words (the certificate names them)."""
    if m.get("method") != "regression":
        fixed = f"; fixed load {_pct(m['fixed_share'])} of the baseline" if m.get("fixed_share") is not None else ""
        return [f"{name}: specific consumption (quantity per unit of output){fixed}."]
    t = ", ".join(f"t({k}) {v}" for k, v in (m.get("t_stats") or {}).items())
    lines = [f"{name}: regression baseline (IPMVP option B/C), {name} = {m['equation']}, fitted on {m['n']} months.",
             f"R2 {m['r2']}, CV(RMSE) {_pct(m['cv_rmse'])}, NMBE {(m['nmbe'] or 0) * 100:.3f}%, {t} ({m['source']}).",
             f"Adjusted baseline {m['adjusted_baseline']} (non-routine adjustments {m['adjustments']}), actual {m['actual']}, "
             f"avoided {m['avoided']}: {_pct(m['improvement'])}, uncertainty at 90% "
             f"{_pct(m.get('uncertainty_90'))} of the savings, lower bound {_pct(m.get('lower_bound'))}."]
    if m.get("reason"):
        lines.append(f"Why it stands: {m['reason']}")
    return lines


def _models(pdf: FPDF, models: dict[str, Any], charts: dict[str, str]) -> None:
    if not models:
        return
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Method and baseline model", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for name, m in models.items():
        for line in model_lines(name, m):
            pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
        if name in charts:
            pdf.image(io.BytesIO(str(charts[name]).encode()), w=170)
        pdf.ln(2)


def certificate_pdf(c: dict[str, Any]) -> bytes:
    """Render the certificate from plain data (see ``verifications.services.certificate_data``)."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Verification certificate {c['number']}"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Verification certificate", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(f"No. {c['number']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in (("Enterprise", c["enterprise"]), ("Investment", c["proposal"]), ("Credit line", c["credit_line"]),
                         ("Rulebook", f"{c['rulebook']['id']} {c['rulebook']['version']} ({c['rulebook']['hash'][:23]}...)"),
                         ("Periods", c["periods"]), ("IPMVP option", c["ipmvp_option"])):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(35, 6, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(f"Specific consumption per {c['output_unit']}"), new_x="LMARGIN", new_y="NEXT")
    widths = (60, 40, 40, 40)
    pdf.set_font("Helvetica", "B", 9)
    for w, head in zip(widths, ("Indicator", "Baseline", "Reporting", "Improvement")):
        pdf.cell(w, 6, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for name, f in c["indicators"].items():
        cells = (f"{name}{' (main)' if f.get('main') else ''}", f.get("baseline_specific") or "n/a",
                 f.get("reporting_specific") or "n/a",
                 _pct(f.get("improvement")) + (" (regression)" if f.get("method") == "regression" else ""))
        for w, text in zip(widths, cells):
            pdf.cell(w, 6, latin1(text), border=1)
        pdf.ln()
    pdf.ln(3)
    _models(pdf, c.get("models") or {}, c.get("charts") or {})
    pdf.set_font("Helvetica", "", 10)
    lines = [f"Main improvement {_pct(c['main_improvement'])}; net result {_pct(c['net_improvement'])} "
             f"({c['offset_method'].replace('_', ' ')}); {c['co2e'] or '0'} tCO2e avoided a year.",
             *(f"Got worse: {w}" for w in c["worse"]),
             f"Data sufficiency: {'sufficient' if c['sufficient'] else 'insufficient'}.",
             *(f"- {f}" for f in c["flags"]),
             f"Decision: {c['decision']}.", f"Grant: {c['grant']}.",
             f"Proposed by {c['proposed_by']} on {c['proposed_at']}.",
             f"Confirmed by {c['confirmed_by']} on {c['confirmed_at']}."]
    for line in lines:
        pdf.multi_cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
