"""Domain commands registered on the ``niha`` CLI (each domain adds its own module here)."""

from niha.identity import cli as _identity_cli  # noqa: F401
from niha.jobs import cli as _jobs_cli  # noqa: F401
from niha.ledger import cli as _ledger_cli  # noqa: F401
