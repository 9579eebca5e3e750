"""The quarterly report as a background job (registered in ``apps.py``): DOCX and PDF into
SHNOR_HOME/reports/quarterly/<job>/, their names as the job's result."""

from __future__ import annotations

from typing import Any

from shnor.web.jobs.kinds import Stage

#: the job kind; the jobs pages print it as the kind's name (the jobs app has no label for it)
QUARTERLY_KIND = "Квартальный отчёт"


def quarterly_report_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Gather the quarter's data as the user who asked, render DOCX and PDF, store both files."""
    from django.contrib.auth import get_user_model

    from shnor.web.submissions.quarterly import quarterly_files

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, заказавший квартальный отчёт, не найден или отключён")
    return quarterly_files(
        user=user,
        year=int(params["year"]),
        quarter=int(params["quarter"]),
        folder=str(params["folder"]),
        progress=stage,
    )
