"""Crawl: every URL of the project × every role × malformed path, query and form values — never a server
error.

The URLs come from ``get_resolver().url_patterns`` (walked recursively, the admin included). Path parameters
get valid values from a small world (the test region, roadmaps at three levels, a survey, a teacher's route,
jobs…; a pattern nobody gave a value fails the test) and then, one parameter at a time, the malformed ones.

Parameter names are found two ways. Statically, in the views' sources: whatever a view and the module's
helpers it calls read with ``request.GET.get("…")``, ``request.POST["…"]``, ``getlist("…")``, ``"…" in
request.GET`` or ``params.<helper>(…, "…")``. Dynamically: every key of ``request.GET`` / ``request.POST``
read while answering the request with valid values (forms' fields, template lookups). A key the answer never
read cannot change it, so the keys read are fuzzed — plus every static name when the whole dict was looked at.
Each name is sent alone with every malformed value by GET, and by POST for views that handle it (bare and with
each ``action`` they know; a form's fields together, since a form cleans every field whatever the others
hold).

Every role (region, municipality, school, teacher, curator, observer) and anonymous, in turn, on one world;
what a role's POSTs change is rolled back before the next. Left out: the REST operations of django-ninja,
which ``test_api_schemathesis.py`` fuzzes against their schema (``/api/docs`` and ``/api/openapi.json`` are
crawled). About 5 500 requests, 45–60 s on SQLite (2 cores).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from shnor.web.accounts.services import api_token_create
from shnor.web.accounts.users import user_admin_grant
from shnor.web.assessments.models import ImportBatch
from shnor.web.cases import services as case_services
from shnor.web.cases.dossier_job import DOSSIER_KIND
from shnor.web.cases.models import CaseAnswer
from shnor.web.diagnostics import people_services as people
from shnor.web.diagnostics.models import Course, DevelopmentRoute, Enrolment, Teacher
from shnor.web.evaluation import services as evaluation
from shnor.web.identification.list_export_job import LIST_EXPORT_KIND
from shnor.web.jobs.models import Job
from shnor.web.monitoring.models import EffectivenessAnalysis
from shnor.web.monitoring.report_jobs import REPORT_KIND
from shnor.web.practices import services as practices
from shnor.web.resources import services as resources
from shnor.web.support.models import AntiRiskProgramme, Evidence, PartnerAssignment, RiskSurvey
from tests.web.test_events import crawl_entries as events_crawl
from tests.web.test_interviews import crawl_entries as interviews_crawl
from tests.web.test_regionconf import crawl_entries as regionconf_crawl
from tests.web.test_submissions import crawl_entries as submissions_crawl
from tests.web.test_support_world import build_support
from tests.web.world import ROLES, World

# text for a number, beyond BIGINT, negative, empty, quotes and angle brackets, an impossible date
MALFORMED = ["abc", "99999999999999999999", "-1", "", "'\"<>", "2024-02-30"]
ANONYMOUS = "anonymous"

# ---------------------------------------------------------------------------------------------
# the URL patterns


@dataclass
class Route:
    """One URL pattern: full route (``support/roadmaps/<int:pk>/``), name, callback and path parameters."""

    parts: list[str | tuple[str, str]]  # literal text, or (parameter, regex of its converter)
    name: str
    callback: Callable
    params: list[str] = field(default_factory=list)

    def url(self, values: dict[str, str]) -> str:
        """The path with every parameter filled (values are percent-encoded)."""
        return "/" + "".join(
            p if isinstance(p, str) else quote(str(values[p[0]]), safe="") for p in self.parts
        )


def _regex_parts(regex: str) -> list[str | tuple[str, str]]:
    """A regex's text and named groups (``^(?P<app_label>auth|…)/$`` → ["", ("app_label", …), "/"])."""
    regex = regex.lstrip("^").rstrip("$")
    out: list[str | tuple[str, str]] = []
    i = 0
    while i < len(regex):
        m = re.match(r"\(\?P<(\w+)>", regex[i:])
        if m is None:
            out.append(regex[i].replace("\\", ""))
            i += 1
            continue
        depth, j = 1, i + m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        out.append((m.group(1), regex[i + m.end() : j - 1]))
        i = j
    return out


def _parts(pattern) -> list[str | tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        out: list[str | tuple[str, str]] = []
        for piece in re.split(r"(<(?:\w+:)?\w+>)", pattern._route):
            m = re.fullmatch(r"<(?:(\w+):)?(\w+)>", piece)
            if m:
                out.append((m.group(2), pattern.converters[m.group(2)].regex))
            elif piece:
                out.append(piece)
        return out
    assert isinstance(pattern, RegexPattern), pattern
    return _regex_parts(pattern._regex)


@functools.cache
def routes() -> list[Route]:
    """Every URL pattern of the project."""

    def walk(patterns, prefix: list, ns: str) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(
                    p.url_patterns,
                    prefix + _parts(p.pattern),
                    ns + (f"{p.namespace}:" if p.namespace else ""),
                )
            else:
                assert isinstance(p, URLPattern)
                parts = prefix + _parts(p.pattern)
                yield Route(
                    parts,
                    ns + (p.name or "<без имени>"),
                    p.callback,
                    [x[0] for x in parts if isinstance(x, tuple)],
                )

    return list(walk(get_resolver().url_patterns, [], ""))


def _schemathesis_covered(route: Route) -> bool:
    """A REST operation of django-ninja: fuzzed by test_api_schemathesis.py against its schema."""
    return route.callback.__module__ == "ninja.operation"


# ---------------------------------------------------------------------------------------------
# the parameter names a view reads, from its source

_NAME_PATTERNS = [
    re.compile(r"(?:GET|POST)\.get(?:list)?\(\s*\"(\w+)\""),
    re.compile(r"(?:GET|POST)\[\s*\"(\w+)\"\s*\]"),
    re.compile(r"\"(\w+)\"\s+in\s+request\.(?:GET|POST)"),
    re.compile(r"params\.\w+\([^\"\n]*\"(\w+)\""),
]
_ACTIONS = re.compile(r"action\s*(?:==|in)\s*(\([^)]*\)|\"\w+\")")


def _source(callback: Callable) -> tuple[str, dict]:
    """The source of a view (class-based: its class) and the globals of its module."""
    view = getattr(callback, "view_class", None) or inspect.unwrap(callback)
    try:
        return inspect.getsource(view), sys.modules[view.__module__].__dict__
    except (OSError, TypeError, KeyError):
        return "", {}


@functools.cache
def view_source(callback: Callable) -> str:
    """The view's source with the source of the module's functions it calls (transitively)."""
    text, module = _source(callback)
    seen: set[str] = set()
    todo = [text]
    out = []
    while todo:
        chunk = todo.pop()
        out.append(chunk)
        for called in set(re.findall(r"\b(_?\w+)\(", chunk)) - seen:
            seen.add(called)
            fn = module.get(called)
            if inspect.isfunction(fn) and fn.__module__ == module.get("__name__"):
                todo.append(inspect.getsource(fn))
    return "\n".join(out)


def names_read(source: str) -> dict[str, set[str]]:
    """The query and form parameter names a view reads, each with where from: ``GET``, ``POST`` or both (a
    line that names neither reads a ``source`` chosen at run time)."""
    found: dict[str, set[str]] = {}
    for line in source.splitlines():
        for pattern in _NAME_PATTERNS:
            for name in pattern.findall(line):
                where = {m for m in ("GET", "POST") if f"request.{m}" in line} or {"GET", "POST"}
                found.setdefault(name, set()).update(where)
    return found


def actions_known(source: str) -> list[str]:
    """The ``action`` values a view dispatches on."""
    return sorted({a for group in _ACTIONS.findall(source) for a in re.findall(r"\"(\w+)\"", group)})


def test_the_names_are_found_in_the_sources() -> None:
    """The scan finds the names of the known 500s and of every filter: it cannot silently find nothing."""
    found = set().union(*(names_read(view_source(r.callback)).keys() for r in routes()))
    assert {
        "days",
        "target",
        "level",
        "municipality",
        "run",
        "year",
        "min_years",
        "track",
        "q",
        "unit",
        "format",
        "evidence",
        "kind",
        "locality",
        "list",
        "page",
        "a",
        "b",
        "status",
        "account",
        "action",
    } <= found, found
    activity = view_source(_callback("support:activity"))
    assert actions_known(activity) == ["comment", "delete_activity", "delete_evidence", "evidence", "update"]
    assert names_read(activity) == {"action": {"POST"}, "evidence": {"POST"}, "confirm": {"POST"}}
    assert names_read(view_source(_callback("support:roadmap_new")))["target"] == {"GET", "POST"}


def _callback(name: str) -> Callable:
    return next(r.callback for r in routes() if r.name == name)


# ---------------------------------------------------------------------------------------------
# the world and valid path values


def crawl_world(world: World) -> dict[str, object]:
    """Objects behind every kind of path parameter; returns the valid value of each parameter by URL name. The
    region's analyst also administers the region's users (as in the demo), so the user pages are crawled
    too."""
    user_admin_grant(user=world.users["region"])
    sup = build_support(world)
    rm = sup.school_maps["sch0001"]
    activity = rm.activities.order_by("position").first()
    evidence = Evidence.objects.filter(activity__roadmap=rm).first()
    survey = RiskSurvey.objects.get(school=world.school)
    programme = AntiRiskProgramme.objects.get(survey=survey)
    partner = PartnerAssignment.objects.filter(school__municipality=world.mun).first()
    teacher = Teacher.objects.create(school=world.school, code="T-1", full_name="Иванова А.А.")
    course = Course.objects.create(
        title="Решение задач", provider="ИРО", hours=36, areas=["Предметные знания"]
    )
    route = DevelopmentRoute.objects.create(teacher=teacher, year=2024)
    enrolment = Enrolment.objects.create(route=route, course=course, area="Предметные знания")
    job = Job.objects.create(
        kind=Job.IMPORT_VPR,
        label="Загрузка",
        params={"path": "/нет/такого/файла.xlsx"},
        status=Job.DONE,
        result={"status": "refused"},
        created_by=world.users["region"],
        region=world.region,
    )
    batch = ImportBatch.objects.create(
        batch_id="b" * 16,
        kind="vpr",
        procedure="vpr",
        year=2023,
        subject="ma",
        grade=4,
        source_name="vpr.xlsx",
        sha256="0" * 64,
        path="vpr/нет",
        status=ImportBatch.REPLACED,
    )
    bulk_job = Job.objects.create(
        kind=Job.ROADMAPS_BULK,
        label="Дорожные карты",
        params={},
        status=Job.DONE,
        result={"created": 0, "roadmap_ids": [rm.pk], "municipal_ids": []},
        created_by=world.users["municipality"],
        region=world.region,
    )
    report_job = Job.objects.create(
        kind=REPORT_KIND,
        label="Отчёт",
        params={"identifier": "annual_report", "unit": f"region:{world.region.pk}", "year": 2024},
        status=Job.DONE,
        result={"key": "0" * 32, "rendered": True},
        created_by=world.users["region"],
        region=world.region,
    )
    case = case_services.cases_open(actor=world.users["region"], year=world.run.year, run=world.run)[0]
    answer = CaseAnswer.objects.create(case=case, author=world.users["school"], text="ответ школы")
    dossier_job = Job.objects.create(
        kind=DOSSIER_KIND,
        label="Досье",
        params={"case_id": case.pk, "format": "docx"},
        status=Job.DONE,
        result={"key": "0" * 32, "rendered": True},
        created_by=world.users["region"],
        region=world.region,
    )
    export_job = Job.objects.create(
        kind=LIST_EXPORT_KIND,
        label="Выгрузка списка",
        params={"kind": "low_results", "query": f"run={world.run.pk}", "user_id": world.users["region"].pk},
        status=Job.DONE,
        result={"key": "0" * 32, "rendered": True},
        created_by=world.users["region"],
        region=world.region,
    )
    region_user = world.users["region"]
    head = people.person_create(
        full_name="Петрова Анна Ивановна", position="head", user=region_user, school=world.school
    )
    internship = people.internship_create(
        kind="internship",
        host=world.neighbour,
        guests=[head],
        topic="Управление качеством",
        starts_on=dt.date(2024, 10, 1),
        ends_on=dt.date(2024, 10, 5),
        user=region_user,
    )
    pair = people.mentoring_pair_create(
        mentor_school=world.neighbour,
        mentor_code="T-9",
        mentee_school=world.school,
        mentee_code="T-1",
        subject="ma",
        starts_on=dt.date(2024, 9, 1),
        goals="Подготовка к ВПР",
        user=region_user,
    )
    reserve = people.reserve_add(
        person=head, position_aimed="директор", included_on=dt.date(2024, 9, 1), user=region_user
    )
    competition = people.competition_create(title="Конкурс программ", year=2024, user=region_user)
    entry = people.entry_add(
        competition=competition, school=world.school, programme="Программа развития", user=region_user
    )
    practice = practices.practice_save(
        actor=world.users["school"], data={"title": "Клуб чтения", "description": "Дефициты чтения"}
    )
    practice_file = practices.file_add(
        actor=world.users["school"], practice=practice, url="https://example.org/"
    )
    practices.practice_submit(actor=world.users["school"], practice=practice)
    practices.practice_moderate(actor=region_user, practice=practice, publish=True)
    adoption = practices.adoption_mark(actor=world.users["school"], practice=practice, year=2024)
    need = resources.staff_need_save(
        actor=region_user,
        school=world.school,
        year=2024,
        specialist="psychologist",
        rates_needed=1,
        rates_vacant=1,
    )
    decision = resources.decision_create(
        actor=region_user,
        school=world.school,
        purpose="Оборудование кабинета",
        amount=100000,
        source="region",
        decided_on=dt.date(2024, 10, 1),
    )
    inspection = evaluation.evaluation_create(
        actor=region_user, school=world.school, form_code="complex", year=2024, experts=[region_user]
    )
    execution = resources.execution_add(
        actor=region_user, decision=decision, on=dt.date(2024, 11, 1), spent=1000
    )
    analysis = EffectivenessAnalysis.objects.create(region=world.region, start_year=2024, status="done")
    token, _ = api_token_create(user=world.users["region"], name="обход")
    by_name: dict[str, dict[str, object]] = {
        "accounts:token_revoke": {"pk": token.pk},
        "accounts:user_detail": {"pk": world.users["teacher"].pk},
        "accounts:user_active": {"pk": world.users["teacher"].pk},
        "identification:region": {"pk": world.region.pk},
        "identification:municipality": {"pk": world.mun.pk},
        "identification:deficit_report": {"fmt": "docx"},
        "identification:deficit_pdf_job": {"pk": job.pk},
        "identification:export_job": {"pk": export_job.pk, "kind": "low_results"},
        "assessments:report": {"name": "ошибки.xlsx"},
        "assessments:replace": {"job": job.pk},
        "assessments:restore": {"pk": batch.pk},
        "support:roadmap": {"pk": rm.pk},
        "support:roadmap_export": {"pk": rm.pk, "fmt": "docx"},
        "support:roadmaps_bulk_job": {"pk": bulk_job.pk},
        "support:roadmap_transition": {"pk": rm.pk, "action": "submit"},
        "support:roadmap_changes": {"pk": rm.pk},
        "support:roadmap_order": {"pk": rm.pk},
        "support:activity_new": {"pk": rm.pk},
        "support:activity": {"pk": activity.pk},
        "support:evidence": {"pk": evidence.pk},
        "support:partners": {"pk": world.mun.pk},
        "support:partner": {"pk": partner.pk},
        "support:survey": {"pk": survey.pk},
        "support:survey_fill": {"pk": survey.pk, "group": "director"},
        "support:programme": {"pk": programme.pk},
        "jobs:detail": {"pk": job.pk},
        "jobs:status": {"pk": job.pk},
        "diagnostics:teacher": {"pk": teacher.pk},
        "diagnostics:route_new": {"pk": teacher.pk},
        "diagnostics:teacher_link": {"pk": teacher.pk},
        "diagnostics:enrolment_new": {"pk": route.pk},
        "diagnostics:enrolment_status": {"pk": enrolment.pk},
        "monitoring:effectiveness_detail": {"pk": analysis.pk},
        "monitoring:site_municipality": {"pk": world.mun.pk},
        "monitoring:report": {"identifier": "annual_report"},
        "monitoring:report_job": {"pk": report_job.pk},
        "monitoring:report_job_file": {"pk": report_job.pk},
        "identification:decision_act": {"action": "decide"},
        "cases:case": {"pk": case.pk},
        "cases:answer": {"pk": case.pk},
        "cases:decide": {"pk": case.pk},
        "cases:appeal": {"pk": case.pk},
        "cases:controlled": {"pk": case.pk},
        "cases:dossier": {"pk": case.pk, "fmt": "docx"},
        "cases:dossier_job": {"pk": case.pk, "job": dossier_job.pk},
        "cases:answer_file": {"pk": answer.pk},
        "monitoring:method_card": {"code": "objectivity"},
        "diagnostics:internship": {"pk": internship.pk},
        "diagnostics:pair": {"pk": pair.pk},
        "diagnostics:pair_meeting": {"pk": pair.pk},
        "diagnostics:pair_result": {"pk": pair.pk},
        "diagnostics:reserve_status": {"pk": reserve.pk},
        "diagnostics:competition": {"pk": competition.pk},
        "diagnostics:entry_result": {"pk": entry.pk},
        "diagnostics:entry_file": {"pk": entry.pk},
        **{
            f"practices:{name}": {"pk": practice.pk}
            for name in ("practice", "edit", "submit", "moderate", "delete", "file_add", "adopt")
        },
        "practices:file": {"pk": practice_file.pk},
        "practices:file_delete": {"pk": practice_file.pk},
        "practices:unadopt": {"pk": adoption.pk},
        "resources:need_delete": {"kind": "staff", "pk": need.pk},
        **{
            f"evaluation:{name}": {"pk": inspection.pk}
            for name in ("detail", "review", "conclude", "roadmap")
        },
        "evaluation:export": {"pk": inspection.pk, "fmt": "docx"},
        "resources:decision_status": {"pk": decision.pk},
        "resources:execution_add": {"pk": decision.pk},
        "resources:execution_file": {"pk": execution.pk},
        **submissions_crawl(world),
        **events_crawl(world),
        **regionconf_crawl(world),
        **interviews_crawl(world),
    }
    by_param: dict[str, object] = {
        "school_id": world.school.school_id,
        "kind": "low_results",
        "year": world.run.year,
        "code": "ABCD-EFGH-JKLM-NPQR",
        "uidb64": "MQ",
        "token": "set-password",
        "app_label": "accounts",
        "object_id": world.users["region"].pk,
        "content_type_id": 1,
        "id": world.users["region"].pk,
        "url": "nowhere/",
    }
    return {"by_name": by_name, "by_param": by_param}


def valid_values(route: Route, known: dict) -> dict[str, str]:
    """A valid value for each path parameter of ``route`` (the test fails for one it does not know)."""
    values = {}
    for p in route.params:
        value = known["by_name"].get(route.name, {}).get(p, known["by_param"].get(p))
        assert value is not None, (
            f"{route.name}: нет допустимого значения для <{p}> — добавьте его в crawl_world"
        )
        values[p] = str(value)
    return values


# ---------------------------------------------------------------------------------------------
# the crawl


@dataclass
class Crawl:
    """Requests sent and server errors met (with the traceback of each)."""

    client: Client
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    last_traceback: list[str] = field(default_factory=list)

    def request(self, method: str, url: str, data: dict | None = None):
        self.last_traceback.clear()
        self.sent += 1
        response = self.client.get(url, data) if method == "GET" else self.client.post(url, data or {})
        if response.status_code >= 500:
            self.errors.append(
                f"{method} {url} {data or ''} → {response.status_code}\n{''.join(self.last_traceback)}"
            )
        return response


def _matches(route: Route, param: str, value: str) -> bool:
    """Whether ``param``'s converter accepts ``value`` (else the resolver answers 404 before any view)."""
    regex = next(p[1] for p in route.parts if isinstance(p, tuple) and p[0] == param)
    return re.fullmatch(regex, value) is not None


class Reads:
    """Which keys of which ``QueryDict`` were read while answering one request (``*``: the whole of it — its
    length, its items, a copy). A key the answer never read cannot have changed it: the same request with that
    key malformed takes the very same path, so only read keys are worth fuzzing — and every static name of the
    view when the whole dict was looked at (``request.POST or None`` binds a form only when something is
    sent)."""

    KEYED = ("__getitem__", "get", "getlist", "__contains__")
    WHOLE = (
        "__iter__",
        "__len__",
        "items",
        "lists",
        "values",
        "keys",
        "copy",
        "dict",
        "urlencode",
        "__copy__",
        "__deepcopy__",
    )

    def __init__(self, monkeypatch) -> None:
        self.keys: dict[int, set[str]] = {}
        for name in self.KEYED + self.WHOLE:
            monkeypatch.setattr(QueryDict, name, self._wrap(getattr(QueryDict, name), name in self.KEYED))

    def _wrap(self, method: Callable, keyed: bool) -> Callable:
        def tracked(qd, *args, **kwargs):
            self.keys.setdefault(id(qd), set()).add(str(args[0]) if keyed and args else "*")
            return method(qd, *args, **kwargs)

        return tracked

    def of(self, response, method: str, static: set[str]) -> list[str]:
        """Names worth fuzzing after ``response``: read ones, plus all of ``static`` after a whole read."""
        request = response.wsgi_request
        qd = request.__dict__.get("GET") if method == "GET" else getattr(request, "_post", None)
        read = set(self.keys.get(id(qd), ())) if qd is not None else set()
        if "*" in read:
            read |= static
        return sorted(read - {"*", "action", "csrfmiddlewaretoken"})


def crawl_as(role: str, world: World, known: dict, reads: Reads) -> Crawl:
    """Every URL as ``role``: valid path values, then malformed path values, query values and form values."""
    client = Client(raise_request_exception=False)
    if role != ANONYMOUS:
        client.force_login(world.users[role])
    crawl = Crawl(client)

    def remember(sender, **kwargs) -> None:
        crawl.last_traceback[:] = traceback.format_exception(*sys.exc_info())

    def send(method: str, url: str, data: dict | None = None):
        reads.keys.clear()
        return crawl.request(method, url, data)

    got_request_exception.connect(remember)
    unresolved_seen = False
    try:
        for route in routes():
            if _schemathesis_covered(route):
                continue
            values = valid_values(route, known)
            base = route.url(values)
            source = view_source(route.callback)
            static = names_read(source)
            first = send("GET", base)
            get_names = reads.of(first, "GET", {n for n, where in static.items() if "GET" in where})
            # malformed path values, one parameter at a time; a value its converter refuses never reaches a
            # view (the resolver's 404, the same for every URL): that is sent for each URL anonymously, once
            # per role
            for p in route.params:
                for bad in MALFORMED:
                    if _matches(route, p, bad) or role == ANONYMOUS or not unresolved_seen:
                        unresolved_seen |= not _matches(route, p, bad)
                        send("GET", route.url({**values, p: bad}))
            for name in get_names:
                for bad in MALFORMED:
                    send("GET", base, {name: bad})
            # by POST where the view looks at the method or the form data (one that never does answers a POST
            # as it answers the GET above), bare and with each ``action`` it knows; a name the view reads
            # itself is sent alone (a 400 for it would hide the others), the fields a form reads all at once
            # (a form cleans every field whatever the others hold)
            posts = "POST" in source or hasattr(route.callback, "view_class") or not source
            for action in (actions_known(source) or [None]) if posts else []:
                extra = {"action": action} if action else {}
                posted = send("POST", base, extra)
                read = reads.of(posted, "POST", {n for n, where in static.items() if "POST" in where})
                fields = [n for n in read if n not in static]
                for bad in MALFORMED:
                    for name in (n for n in read if n in static):
                        send("POST", base, {**extra, name: bad})
                    if fields:
                        send("POST", base, {**extra, **dict.fromkeys(fields, bad)})
            if role != ANONYMOUS and route.name.endswith(":logout"):
                client.force_login(world.users[role])  # the crawl just logged out
    finally:
        got_request_exception.disconnect(remember)
    return crawl


def test_no_server_error_on_malformed_values(world, monkeypatch, subtests) -> None:
    """One world, every role in turn (a subtest each); a role's POSTs are rolled back before the next."""
    known = crawl_world(world)
    reads = Reads(monkeypatch)
    for role in [*ROLES, ANONYMOUS]:
        with subtests.test(role=role):
            with transaction.atomic():
                crawl = crawl_as(role, world, known, reads)
                transaction.set_rollback(True)
            assert crawl.sent > 300, crawl.sent
            assert not crawl.errors, (
                f"{role}: {len(crawl.errors)} ответов 5xx из {crawl.sent}:\n" + "\n".join(crawl.errors[:10])
            )


def test_a_malformed_value_is_a_russian_400_naming_the_parameter(world) -> None:
    client = Client()
    client.force_login(world.users["region"])
    cases = {
        "/support/?days=abc": "«срок, дней» (days=abc)",
        "/support/?days=99999999999": "целое число от 1 до 366",
        "/lists/low_results/?municipality=abc": "«муниципалитет» (municipality=abc)",
        "/support/roadmaps/new/?level=municipality&target=abc": "«муниципалитет» (target=abc)",
        "/lists/low_results/?year=20x4": "год четырьмя цифрами",
        "/schools/?list=nope": "одно из значений: «ШНОР»",
        "/support/roadmaps/new/": "Не задан параметр «уровень дорожной карты» (level)",
    }
    for url, expected in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        body = response.content.decode()
        assert expected in body, (url, body)
        assert "Неверный запрос" in body
        assert 'href="/schools/"' in body  # the page has the site's menu
    # a value that is well formed but names nothing stays a 404
    assert client.get(f"/lists/low_results/?run={world.run.pk + 1000}").status_code == 404
    assert client.get(f"/lists/low_results/?municipality={world.mun.pk}").status_code == 200
    assert client.get(f"/support/?days=30&_={dt.date.today()}").status_code == 200


def test_the_helpers_parse_or_name_what_they_expected() -> None:
    from shnor.web import params as P

    q = QueryDict(
        "n=+42&neg=-1&big=99999999999999999999&uni=٣&e=&y=2024&d=01.09.2024&iso=2024-02-30&c=network&t=a%00b&f=1"
    )
    assert P.integer(q, "n") == 42
    assert P.integer(q, "e", default=7) == 7  # empty is absent
    assert P.integer(q, "missing", default=7) == 7
    assert P.identifier(q, "missing") is None
    for name, call in {
        "neg": lambda: P.identifier(q, "neg"),
        "big": lambda: P.integer(q, "big"),
        "uni": lambda: P.integer(q, "uni"),  # an Arabic-Indic digit is not a number here
        "iso": lambda: P.date(q, "iso"),
        "c": lambda: P.choice(q, "c", {"individual": "Индивидуальное сопровождение"}),
        "t": lambda: P.text(q, "t"),
        "e": lambda: P.identifier(q, "e", required=True),
    }.items():
        with pytest.raises(P.BadParameter) as caught:
            call()
        assert caught.value.name == name
        assert "ожидается" in caught.value.message
    assert P.year(q, "y") == 2024
    assert P.date(q, "d") == dt.date(2024, 9, 1)
    assert P.choice(q, "c", ["network", "individual"]) == "network"
    assert P.flag(q, "f") is True
    assert P.flag(q, "missing") is False
    with pytest.raises(
        P.BadParameter, match=r"Параметр «год» \(year=1999\) задан неверно: ожидается год четырьмя"
    ):
        P.year(QueryDict("year=1999"), "year")
    with pytest.raises(P.BadParameter, match=r"\\x00"):  # control characters are shown, not printed
        P.text(q, "t")
