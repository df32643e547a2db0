"""Roles and statuses (no dependencies; re-exported by :mod:`niha.identity.access`)."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"
    COMPLIANCE = "compliance"
    OPERATIONS = "operations"


class EntityRole(StrEnum):
    OWNER = "owner"
    TRADER = "trader"
    VIEWER = "viewer"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    INVITED = "invited"
