"""Cover over the total-cover limit: the fund offers the capped cover and the officer confirms it."""
from __future__ import annotations

from sqlalchemy import func, select

from creditline.extensions import db
from creditline.guarantees.models import Guarantee

from .test_guarantees import request
from .test_loans import approved, counts, proposal_id  # noqa: F401  (fixtures and helpers)


def _guarantees(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Guarantee))
        db.session.remove()
    return n


def test_over_the_limit_the_capped_cover_is_offered_and_confirming_it_issues_the_request(app, client, token_for,
                                                                                      approved):  # noqa: F811
    before = counts(app)
    res = request(client, token_for, approved, other_guarantors_share=0.3)
    assert res.status_code == 422
    body = res.get_json()
    # gctf-vn: the fund covers 50%, all guarantors together at most 70%: 40% of USD 80,000 is left.
    assert body["capped"] == {"coverage_share": 0.4, "covered_amount": "32000.00", "other_guarantors_share": 0.3,
                              "max_total_cover": 0.7, "currency": "USD"}
    assert "at most 40% (USD 32000.00) can be covered" in body["errors"]["coverage_share"][0]
    assert "request that share to confirm" in body["message"]
    assert counts(app) == before and _guarantees(app) == 0

    res = request(client, token_for, approved, coverage_share=body["capped"]["coverage_share"],
                  other_guarantors_share=0.3)
    assert res.status_code == 201, res.get_json()
    g = res.get_json()
    assert (g["coverage_share"], g["covered_amount"], g["other_guarantors_share"], g["status"]) == (
        0.4, "32000.00", 0.3, "requested")


def test_when_other_guarantors_use_up_the_limit_nothing_is_offered(app, client, token_for, approved):  # noqa: F811
    res = request(client, token_for, approved, other_guarantors_share=0.7)
    assert res.status_code == 422
    body = res.get_json()
    assert "capped" not in body
    assert "the fund can cover nothing" in body["errors"]["other_guarantors_share"][0]
    assert _guarantees(app) == 0
