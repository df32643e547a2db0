"""Notifications: transactional email now; in-app, push, preferences and alerts later."""
