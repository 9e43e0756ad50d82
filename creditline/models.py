"""Import every model module so SQLAlchemy's metadata (and Alembic) sees all tables."""
from .audit.models import AuditEvent  # noqa: F401
from .auth.models import ApiToken, Organisation, User, UserRole  # noqa: F401
from .creditlines.models import CreditLine  # noqa: F401
from .enterprises.models import Enterprise  # noqa: F401
from .files.models import StoredFile  # noqa: F401
from .proposals.models import Assessment, Proposal, ProposalDocument, ProposalIndicator, TechnicalReview  # noqa: F401
from .loans.models import Disbursement, Installment, Loan, Payment  # noqa: F401
from .guarantees.models import Guarantee, Recovery  # noqa: F401
