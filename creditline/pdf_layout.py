"""The layout every PDF the system files shares (fpdf2, core fonts): a title, labelled lines, tables, paragraphs.

The verification certificate, the loan offer, the guarantee letter and the assessment are built
from these pieces so they look alike and print the same.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
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


def new_document(title: str, subtitle: str) -> FPDF:
    """An A4 page with the document's title and its number or date under it."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    return pdf


def labelled(pdf: FPDF, rows: Iterable[tuple[str, Any]], width: float = 45) -> None:
    """Label: value lines (the parties, the amounts)."""
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width, 6, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")


def heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")


def table(pdf: FPDF, widths: Sequence[float], head: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A bordered table; the header is repeated on no page (the tables here fit a page or two)."""
    pdf.set_font("Helvetica", "B", 9)
    for w, text in zip(widths, head):
        pdf.cell(w, 6, latin1(text), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in rows:
        for w, text in zip(widths, row):
            pdf.cell(w, 6, latin1(text), border=1)
        pdf.ln()


def paragraphs(pdf: FPDF, lines: Iterable[str]) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    for line in lines:
        pdf.multi_cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")


def output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
