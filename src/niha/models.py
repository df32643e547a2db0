"""Every table of every domain, imported so the metadata is complete (Alembic, tests)."""

from niha.audit import models as _audit  # noqa: F401
from niha.core import events as _events  # noqa: F401
from niha.core import idempotency as _idempotency  # noqa: F401
from niha.core.db import Base
from niha.exchange import models as _exchange  # noqa: F401
from niha.funding import models as _funding  # noqa: F401
from niha.identity import models as _identity  # noqa: F401
from niha.kyc import models as _kyc  # noqa: F401
from niha.ledger import models as _ledger  # noqa: F401
from niha.notifications import models as _notifications  # noqa: F401
from niha.onboarding import models as _onboarding  # noqa: F401

metadata = Base.metadata
