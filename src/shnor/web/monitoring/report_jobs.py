"""The reports page's exporters as background jobs, with the finished file kept and reused.

A report is asked for by (exporter, territory, year, format). The request starts a job (or finds one) and
shows its progress; the worker renders the exporter as the user who asked, within their scope, and keeps
the file under ``SHNOR_HOME/reports/registry/<key>``. The key is a hash of the exporter, territory, year,
format, the asker's scope (region-wide, or one municipality) and the **data version**; a later request with
the same key is answered by the kept file without rendering again, until the data change or the user asks
for a fresh render. A file made on newer data replaces the report's older files, so one file per report
and scope is kept.

The data version is a fingerprint of the rows the exporter reads, not a change time: several of those
tables record no change time (an activity marked done, a corrected indicator value, an edited list entry
keep their timestamps), so the latest timestamp would miss real changes. Each exporter names its sources
(``EXPORTER_SOURCES``); a source is a set of tables whose rows (all their fields, or the named ones) are
hashed in primary-key order, so an insert, a deletion or an edit changes the version. A methodology run's
outcomes are written once by the run, so a run stands for them by its number, status and finish time. The
whole tables are hashed, not only the territory's rows: a change elsewhere in the region renders afresh,
which costs a render and never serves a stale file. Reports that state the date they were made or count
overdue activities "as of today" carry today's date in their version, so their kept file serves for the rest
of the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.http import Http404

from shnor.web.accounts.scope import User, scope_of
from shnor.web.jobs.kept import KeptFiles
from shnor.web.jobs.kinds import Stage
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue
from shnor.web.monitoring import reports as rep

#: the job kind (shown as is on the jobs page, like other apps' Russian kinds)
REPORT_KIND = "Отчёт по территории"

#: a source of a report's data: tables as (``app_label.Model``, the fields hashed or None for all fields)
SOURCES: dict[str, tuple[tuple[str, tuple[str, ...] | None], ...]] = {
    "registry": (
        ("registry.Region", None),
        ("registry.Municipality", None),
        ("registry.School", None),
        ("registry.SchoolContext", None),
    ),
    # a run's outcomes are written once by the run: the run stands for them
    "runs": (("identification.MethodologyRun", ("id", "year", "status", "finished_at", "config_digest")),),
    "lists": (
        ("identification.ListVersion", None),
        ("identification.ListEntry", None),
        ("identification.TrackChoice", None),
        ("identification.FiokoList", None),
        ("identification.FiokoListEntry", None),
    ),
    "imports": (
        ("assessments.ImportBatch", ("id", "batch_id", "status", "sha256", "path")),
        ("assessments.Scale", None),
        ("assessments.TaskSpec", None),
    ),
    "indicators": (
        ("monitoring.IndicatorValue", None),
        ("regionconf.SettingsVersion", None),
        ("events.Event", None),
        ("events.SchoolAttendance", None),
        ("events.Participant", None),
    ),
    "effectiveness": (
        ("monitoring.EffectivenessAnalysis", ("id", "region", "municipality", "status", "finished_at")),
    ),
    "teachers": (
        ("diagnostics.Teacher", None),
        ("diagnostics.CompetenceImport", None),
        ("diagnostics.CompetenceResult", None),
        ("diagnostics.DevelopmentRoute", None),
        ("diagnostics.Enrolment", None),
    ),
    "support": (("support.Roadmap", None), ("support.Activity", None), ("support.PartnerAssignment", None)),
    "sites": (
        ("monitoring.SiteCheck", ("id", "status", "finished_at")),
        ("monitoring.SiteResult", None),
        ("monitoring.MunicipalityWebsite", None),
    ),
}
#: the sources each exporter reads (``today``: the report states its date or counts what is due by today;
#: ``config``: the shipped methodology settings)
_YEARLY = ("registry", "runs", "lists", "indicators", "imports", "effectiveness", "teachers", "today")
EXPORTER_SOURCES: dict[str, tuple[str, ...]] = {
    "annual_report": _YEARLY,
    "fioko_list": ("registry", "runs", "lists", "imports", "config"),
    "municipality_summary": (*_YEARLY, "support", "sites"),
    "protocol_draft": (*_YEARLY, "support", "sites"),
}


def _table_digest(label: str, fields: tuple[str, ...] | None) -> str:
    """A hash of a table's rows (the named fields, else all) in primary-key order; '' for an absent app."""
    app_label, _, name = label.partition(".")
    if not apps.is_installed(f"shnor.web.{app_label}"):
        return ""
    try:
        model = apps.get_model(app_label, name)
    except LookupError:
        return ""
    columns = list(fields) if fields else [f.attname for f in model._meta.concrete_fields]
    h = hashlib.sha256(label.encode())
    for row in model._default_manager.order_by("pk").values_list(*columns).iterator(chunk_size=5000):
        h.update(repr(row).encode())
    return h.hexdigest()


def _source_digest(name: str) -> str:
    if name == "today":
        return dt.date.today().isoformat()
    if name == "config":
        from shnor.core.config import load_config

        return hashlib.sha256(json.dumps(load_config(), sort_keys=True, default=str).encode()).hexdigest()
    return "|".join(_table_digest(label, fields) for label, fields in SOURCES[name])


def data_version(*, identifier: str) -> str:
    """The version of the data the exporter ``identifier`` reads (see the module's text)."""
    h = hashlib.sha256()
    for name in EXPORTER_SOURCES[identifier]:
        h.update(f"{name}={_source_digest(name)};".encode())
    return h.hexdigest()[:32]


def _scope_signature(user: User) -> list[Any]:
    """What, besides the territory, decides which rows a report shows: region-wide or one municipality."""
    scope = scope_of(user)
    if scope.superuser:
        return ["superuser"]
    if scope.region_wide:
        return ["region", scope.region_id]
    return ["municipality", scope.municipality_id]


#: the kept reports (a key: the report's slot — report, territory, year, format, scope — and its data
#: version's hash)
KEPT = KeptFiles("registry", re.compile(r"^[0-9a-f]{16}-[0-9a-f]{24}$"))


def report_key(*, user: User, identifier: str, unit: rep.Unit, year: int, fmt: str) -> str:
    """The kept file's key for this report, this asker's scope and the current data: ``<slot>-<version>``,
    the slot naming the report without the data, so that a newer file can replace the older ones."""
    parts = [identifier, unit.value, year, fmt, _scope_signature(user)]
    slot = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]
    parts.append(data_version(identifier=identifier))
    return slot + "-" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def report_file(*, job: Job) -> tuple[Path, str, str] | None:
    """(path, file name, type) of a finished report job's kept file; None when it is not (or no longer)
    there."""
    if job.status != Job.DONE:
        return None
    return KEPT.get(str((job.result or {}).get("key") or ""))


def report_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Render one report as the user who asked (their scope) into the kept files, unless a file for the same
    key is already there (and no fresh render was asked for); the result names the key."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, заказавший отчёт, не найден или отключён")
    identifier = str(params.get("identifier"))
    if identifier not in rep.EXPORTERS:
        raise ValueError(f"нет такого отчёта: {identifier}")
    try:
        unit = rep.unit_from_param(user=user, value=str(params.get("unit")))
    except Http404 as exc:
        raise ValueError("территория отчёта вне области видимости пользователя") from exc
    year, fmt = int(params["year"]), str(params["format"])
    stage("проверка версии данных")
    key = report_key(user=user, identifier=identifier, unit=unit, year=year, fmt=fmt)
    kept = None if params.get("force") else KEPT.get(key)
    if kept is not None:
        return {"key": key, "rendered": False, "name": kept[1], "size": kept[0].stat().st_size}
    started = time.perf_counter()
    stage("сбор данных отчёта")
    exporter = rep.exporter_build(user=user, identifier=identifier, unit=unit, year=year)
    stage("формирование файла")
    name, mime, body = exporter.render({"year": year, "format": fmt})
    seconds = round(time.perf_counter() - started, 3)
    KEPT.put(key, name=name, mime=mime, body=body)
    return {"key": key, "rendered": True, "name": name, "size": len(body), "seconds": seconds}


def report_start(
    *, user: User, identifier: str, unit: rep.Unit, year: int, fmt: str, force: bool = False
) -> tuple[Job, bool]:
    """The job that answers this request and whether it was an existing one: a finished job of the user's
    with the kept file for the current data, else one still waiting or running for the same key, else a new
    job (which itself reuses a kept file another user's job made for the same scope and data)."""
    key = report_key(user=user, identifier=identifier, unit=unit, year=year, fmt=fmt)
    mine = jobs_visible_to(user=user).filter(kind=REPORT_KIND, created_by_id=user.pk)
    if not force:
        for job in mine.filter(status=Job.DONE, result__key=key).order_by("-finished_at", "-pk")[:5]:
            if report_file(job=job) is not None:
                return job, True
        waiting = mine.filter(status__in=[Job.QUEUED, Job.RUNNING], params__key=key).first()
        if waiting is not None:
            return waiting, True
    exporter: Any = rep.EXPORTERS[identifier]
    label = f"{exporter.label}; {unit.label}, {year}"
    job = job_enqueue(
        kind=REPORT_KIND,
        label=label[:500],
        params={
            "identifier": identifier,
            "unit": unit.value,
            "year": year,
            "format": fmt,
            "user_id": user.pk,
            "key": key,
            "force": force,
        },
        user=user,
    )
    return job, False


__all__ = ["REPORT_KIND", "data_version", "report_file", "report_job", "report_key", "report_start"]
