"""Template context: the user's role line and what the menu may show."""

from __future__ import annotations

from django.http import HttpRequest

from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import user_role_label


def role(request: HttpRequest) -> dict:
    """``role_label``, ``region_wide``, ``can_import`` and ``can_manage_users`` for the base template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    return {
        "role_label": user_role_label(user=user),
        "region_wide": scope.region_wide,
        "can_import": scope.can_import,
        "can_manage_users": scope.can_manage_users,
    }
