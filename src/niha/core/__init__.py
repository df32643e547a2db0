"""Shared building blocks: database, errors, pagination, ids, clock, security, events."""
