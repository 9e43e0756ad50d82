"""Steps the browser journeys share: screenshots, the proposal draft, and the confirmation step."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CREDITLINE_ARTIFACTS") or ROOT / ".artifacts" / "journey")


class Camera:
    """Numbered screenshots, one per step, named for who acted and what they did."""

    def __init__(self, page, folder: Path = ARTIFACTS) -> None:
        self.page, self.n, self.folder = page, 0, folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, role: str, step: str) -> None:
        # Only once a step's result has loaded: a full-page shot between filling a form and clicking
        # its button resizes Chromium's viewport and the click is lost (the form is never sent).
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{role}-{step}.png"), full_page=True)


def indicator(page, n: int, stream: str, baseline: str, projected: str) -> None:
    page.get_by_label(f"Stream {n}", exact=True).select_option(stream)
    page.get_by_label(f"baseline quantity {n}", exact=True).fill(baseline)
    page.get_by_label(f"baseline output {n}", exact=True).fill("5000")
    page.get_by_label(f"projected quantity {n}", exact=True).fill(projected)
    page.get_by_label(f"projected output {n}", exact=True).fill("5000")


def draft_proposal(page, title: str, equipment: str, supplier: str, months: str) -> None:
    """As the signed-in SME, fill the new-proposal form (USD 100,000, water 100,000 -> 45,000 m3) and save the draft."""
    page.goto("/proposals/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Credit line").select_option(label="GCTF Viet Nam (USD)")
    page.get_by_label("technology change").check()
    for label, value in (("Total investment", "100000"), ("Eligible cost", "95000"), ("Loan requested", "80000"),
                         ("Own contribution", "20000"), ("Annual savings", "25000"),
                         ("Annual extra operating cost", "5000"), ("Economic life (years)", "10"),
                         ("Implementation (months)", months)):
        page.get_by_label(label).fill(value)
    page.get_by_label("Equipment", exact=True).fill(equipment)
    page.get_by_label("Supplier").fill(supplier)
    page.get_by_label("Readiness").select_option("commercial")
    page.get_by_label("Unit of production output").fill("t")
    page.get_by_label("Main indicator").select_option("water")
    indicator(page, 1, "water", "100000", "45000")
    save_draft(page)


def save_draft(page) -> None:
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()


def confirm(page, actor: str, *figures: str) -> str:
    """On a money move's confirmation step: check the figures and who acts, then press its button."""
    box = page.get_by_test_id("confirmation")
    box.wait_for()
    text = box.inner_text()
    assert actor in page.get_by_test_id("confirm-actor").inner_text(), text
    for figure in figures:
        assert figure in text, (figure, text)
    box.get_by_test_id("confirm-button").click()
    return text
