"""The assessment as a PDF the bank files with the credit application: verdict, scores, every rule and the figures."""
from __future__ import annotations

from typing import Any

from ..pdf_layout import heading, labelled, new_document, output, paragraphs, table


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


def _money(currency: str, value: Any) -> str:
    return "n/a" if value is None else f"{currency} {float(value):,.2f}"


def assessment_pdf(p: Any, a: dict[str, Any]) -> bytes:
    """Render one stored assessment (``scoring.services.assessment_view``) of proposal ``p``."""
    cur, m, rb = p.currency, a.get("metrics") or {}, a.get("rulebook") or {}
    stamp = a["created_at"].strftime("%Y-%m-%d %H:%M") if a.get("created_at") else ""
    pdf = new_document("Assessment", f"Proposal {p.id}, assessment {a['id']}, {stamp} UTC")
    labelled(pdf, (("Enterprise", p.enterprise.legal_name), ("Investment", p.title), ("Credit line", p.credit_line.name),
                   ("Rulebook", f"{rb.get('id')} {rb.get('version')} ({str(rb.get('hash', ''))[:23]}...)"),
                   ("Decision", str(a.get("decision", "")).replace("_", " ")),
                   ("Scores", ", ".join(f"{k} {v}" for k, v in (a.get("scores") or {}).items()))))
    heading(pdf, "Every rule, explained")
    table(pdf, (48, 22, 22, 14, 84), ("Rule", "Kind", "Outcome", "Points", "Why"),
          ((t.get("rule", ""), t.get("kind", ""), t.get("outcome", ""), t.get("points") or "",
            str(t.get("message", ""))[:60]) for t in a.get("trace") or []))
    heading(pdf, "Figures")
    lines = [f"NPV {_money(cur, m.get('npv'))}; IRR {_pct(m.get('irr'))}; simple payback "
             f"{m.get('simple_payback_years') if m.get('simple_payback_years') is not None else 'never'} years; "
             f"benefit-cost ratio {m.get('benefit_cost_ratio', 'n/a')}.",
             f"{m.get('co2e_avoided_t_per_year') or 0} t CO2e avoided a year."]
    lines += [f"{stream.replace('_', ' ')}: {_pct(imp)} less per unit of output"
              for stream, imp in (m.get("improvement") or {}).items()]
    if a.get("hints"):
        lines += ["What would change the outcome:", *(f"- {h}" for h in a["hints"])]
    # The trace's full messages, for the rules cut short in the table.
    lines += ["", "Messages in full:", *(f"{t.get('rule', '')}: {t.get('message', '')}" for t in a.get("trace") or [])]
    paragraphs(pdf, lines)
    return output(pdf)
