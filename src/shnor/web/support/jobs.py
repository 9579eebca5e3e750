"""The support app's job kinds: roadmaps for every school of a list (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from shnor.web.jobs.kinds import Stage


def roadmaps_bulk_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Create the roadmaps of a bulk plan as the user who asked for them; counts and ids as the result."""
    from django.contrib.auth import get_user_model

    from shnor.web.support.services.bulk import bulk_create

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, запустивший создание дорожных карт, не найден или отключён")
    return bulk_create(actor=user, plan_params=params, progress=stage)
