"""Accounts: users, roles, the scoping of every queryset by role, login throttling, audit log, API tokens."""
