"""Import every model module so SQLAlchemy's metadata (and Alembic) sees all tables."""
from .audit.models import AuditEvent  # noqa: F401
from .auth.models import ApiToken, Organisation, User, UserRole, WebSession  # noqa: F401
from .creditlines.models import CreditLine  # noqa: F401
from .enterprises.models import Enterprise  # noqa: F401
from .files.models import StoredFile  # noqa: F401
from .proposals.models import Assessment, Proposal, ProposalDocument, ProposalIndicator, TechnicalReview  # noqa: F401
from .loans.models import Disbursement, Installment, Loan, Payment  # noqa: F401
from .guarantees.models import Guarantee, Recovery  # noqa: F401
from .monitoring.models import MonitoringPlan, MonitoringReport, ReportedQuantity, ReportEvidence, ReportingPeriod  # noqa: F401
from .monitoring.baseline_models import BaselineAdjustment, BaselineMonth  # noqa: F401
from .verifications.models import Verification  # noqa: F401
from .grants.models import Grant  # noqa: F401
from .notifications.models import Notification  # noqa: F401
from .jobs.models import JobRun  # noqa: F401
from .idempotency import IdempotencyKey  # noqa: F401
from .referrals.models import ReferralDecision, ReferralTask  # noqa: F401
from .rulebooks.models import RulebookVersion  # noqa: F401
