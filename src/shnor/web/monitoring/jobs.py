"""The monitoring app's job kinds: effectiveness analyses and website checks (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from shnor.web.jobs.kinds import Stage


def effectiveness_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Run a queued effectiveness analysis."""
    from shnor.web.monitoring.services import effectiveness_analysis_execute

    return effectiveness_analysis_execute(analysis_id=int(params["analysis_id"]), progress=stage)


def site_crawl_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Crawl the sites of a queued website check."""
    from shnor.web.monitoring.services import site_check_execute

    return site_check_execute(check_id=int(params["check_id"]), progress=stage)
