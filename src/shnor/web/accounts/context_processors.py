"""Template context: the user's role line and what the menu may show."""

from __future__ import annotations

from django.http import HttpRequest

from shnor.web.accounts.selectors import user_can_import, user_is_region_wide, user_role_label
from shnor.web.accounts.users import user_can_manage_users


def role(request: HttpRequest) -> dict:
    """``role_label``, ``region_wide``, ``can_import`` and ``can_manage_users`` for the base template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "role_label": user_role_label(user=user),
        "region_wide": user_is_region_wide(user=user),
        "can_import": user_can_import(user=user),
        "can_manage_users": user_can_manage_users(user=user),
    }
