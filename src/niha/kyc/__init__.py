"""KYC: documents, their storage and review, the per-entity checklist and the KYC gate."""
