"""The verification certificate as a PDF (fpdf2, core fonts only)."""
from __future__ import annotations

import unicodedata
from typing import Any

from fpdf import FPDF

# Core PDF fonts are Latin-1: spell out the few symbols we use and strip accents (Đ -> D).
_REPLACE = {"→": "->", "–": "-", "—": "-", "≥": ">=", "≤": "<=", "×": "x", "Đ": "D", "đ": "d", "…": "...",
            "“": '"', "”": '"', "’": "'", "‘": "'", "CO₂": "CO2", "₂": "2"}


def latin1(text: Any) -> str:
    """Text the core fonts can print."""
    out = str(text if text is not None else "")
    for k, v in _REPLACE.items():
        out = out.replace(k, v)
    out = unicodedata.normalize("NFKD", out)
    return "".join(ch for ch in out if ord(ch) < 256 and not unicodedata.combining(ch))


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


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
                 f.get("reporting_specific") or "n/a", _pct(f.get("improvement")))
        for w, text in zip(widths, cells):
            pdf.cell(w, 6, latin1(text), border=1)
        pdf.ln()
    pdf.ln(3)
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
