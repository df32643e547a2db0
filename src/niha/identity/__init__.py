"""Users, roles and permissions, sessions and refresh tokens, invitations, TOTP."""
