"""Onboarding: contact requests from prospects, client entities (legal persons), members."""
