"""The double-entry ledger: every balance change anywhere is a ledger transfer."""
