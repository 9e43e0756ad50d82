"""The one list of API and page blueprints the app serves."""
from __future__ import annotations

from flask import Flask

from .extensions import api, csrf

def register_blueprints(app: Flask) -> None:
    """Register the REST blueprints (CSRF-exempt: they use bearer tokens) and the pages."""
    from .audit_trail.api import blp as audit_api
    from .auth.api import blp as auth_api
    from .guarantees.api import blp as guarantees_api
    from .creditlines.api import blp as creditlines_api
    from .enterprises.api import blp as enterprises_api
    from .loans.api import blp as loans_api
    from .proposals.api import blp as proposals_api
    from .scoring import assessment_api  # noqa: F401  (submission, review and assessment join the proposals API)
    from .scoring.api import blp as scoring_api
    from .monitoring.api import blp as monitoring_api
    from .monitoring.baseline_api import blp as baseline_api
    from .verifications.api import blp as verifications_api
    from .grants.api import blp as grants_api
    from .referrals.api import blp as referrals_api
    from .reports.api import blp as reports_api
    from .notifications.api import blp as notifications_api
    from .rulebook_versions.api import blp as rulebook_versions_api

    for blp in (auth_api, creditlines_api, enterprises_api, proposals_api, scoring_api, loans_api, guarantees_api,
                monitoring_api, baseline_api, verifications_api, grants_api, audit_api, referrals_api, reports_api,
                notifications_api, rulebook_versions_api):
        # Cookie-authenticated API calls are CSRF-checked in auth.current instead.
        csrf.exempt(blp)
        api.register_blueprint(blp)

    from .apidocs import bp as apidocs
    app.register_blueprint(apidocs)

    from .auth.views import bp as auth_pages
    from .enterprises.views import bp as enterprise_pages
    from .home import bp as home_pages
    from .proposals.views import bp as proposal_pages
    from .scoring import assessment_pages  # noqa: F401  (the proposal page, submission and review join its pages)
    from .rulebook_versions.views import bp as rulebook_pages
    from .monitoring.views import bp as monitoring_pages
    from .monitoring import baseline_views  # noqa: F401  (its routes join the monitoring pages)
    from .grants import incentive_views  # noqa: F401  (declaring another incentive joins the monitoring pages)
    from .verifications.views import bp as verification_pages
    from .grants.views import bp as grant_pages
    from .guarantees.views import bp as guarantee_pages
    from .loans.page_actions import bp as loan_pages  # the loan page's actions join its blueprint
    from .guarantees import loan_actions  # noqa: F401  (the guarantee's actions join the loan page)
    from .creditlines.views import bp as credit_line_pages
    from .auth.admin_views import bp as admin_pages
    from .audit_trail.views import bp as audit_pages
    from .referrals.views import bp as referral_pages
    from .reports.views import bp as report_pages
    from .notifications.views import bp as inbox_pages

    for bp in (auth_pages, home_pages, enterprise_pages, proposal_pages, rulebook_pages, monitoring_pages,
               verification_pages, grant_pages, guarantee_pages, loan_pages, credit_line_pages, admin_pages,
               audit_pages, referral_pages, report_pages, inbox_pages):
        app.register_blueprint(bp)
