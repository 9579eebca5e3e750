"""API endpoints; every school-level answer goes through ``schools_visible_to``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Path, Query
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import HttpBearer, django_auth

from shnor.web.accounts.selectors import (
    municipalities_visible_to,
    regions_visible_to,
    schools_visible_to,
    user_role_label,
)
from shnor.web.accounts.services import api_token_user
from shnor.web.api.renderer import ORJSONRenderer, dumps
from shnor.web.api.schemas import (
    ListRowOut,
    ListStateOut,
    MeOut,
    MunicipalityOut,
    OutcomeOut,
    RegionOut,
    RunOut,
    SchoolOut,
)
from shnor.web.api.validation import plain_adapter
from shnor.web.apidocs import SiteSwagger
from shnor.web.apipages import PageRows, Pages
from shnor.web.councils.api import router as councils_router
from shnor.web.diagnostics.api import router as people_router
from shnor.web.evaluation.api import router as evaluation_router
from shnor.web.identification import membership
from shnor.web.identification import selectors as ident
from shnor.web.identification.data_changes import run_data_notices
from shnor.web.identification.models import SchoolOutcome
from shnor.web.identification.presenters import Presentation, present
from shnor.web.interviews.api import router as interviews_router
from shnor.web.practices.api import router as practices_router
from shnor.web.readcache import cached
from shnor.web.registry.models import School
from shnor.web.registry.selectors import schools_search
from shnor.web.resources.api import router as resources_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer shn_…`` with a token created on the personal page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """The token's user, set on the request, or None."""
        user = api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Программный интерфейс ШНОР",
    version="1.0",
    description="Реестр школ, расчёты по методике, списки ШНОР, ШНСУ и школ с признаками необъективности, "
    "итоги по школам, сопровождение. Доступ ограничен ролью пользователя так же, как в веб-интерфейсе: "
    "ключ доступа создаётся на личной странице и передаётся в заголовке «Authorization: Bearer <ключ>».",
    docs=SiteSwagger(settings={"defaultModelsExpandDepth": -1}),
    auth=[TokenAuth(), django_auth],
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
    renderer=ORJSONRenderer(),
)
api.add_router("/resources/", resources_router)
api.add_router("/practices/", practices_router)
api.add_router("/", people_router)
api.add_router("/", evaluation_router)
api.add_router("/", interviews_router)
api.add_router("/councils/", councils_router)
api.add_router("/events/", "shnor.web.events.api.router")
api.add_router("/submissions/", "shnor.web.submissions.api.router")


# Bounds of the integer parameters: an id or year beyond a 64-bit integer made the database driver raise
# (OverflowError on SQLite, DataError on PostgreSQL) — a 500; now such a request is a 422.
ID = {"ge": 1, "le": 2**63 - 1}
YEAR = {"ge": 1900, "le": 2999}
# A NUL character is rejected by PostgreSQL in a query parameter (a 500 there); not a valid text either.
TEXT = {"max_length": 200, "pattern": r"^[^\x00]*$"}


def _school_out(s: School) -> dict:
    return {
        "school_id": s.school_id,
        "name": s.name,
        "municipality": s.municipality.name if s.municipality else None,
        "municipality_id": s.municipality_id,
        "region": s.region.name if s.region else None,
        "kind": s.kind,
        "locality": s.locality,
        "pupils": s.pupils,
        "latitude": s.latitude,
        "longitude": s.longitude,
        "in_registry": s.in_registry,
    }


def _run_out(r: Any) -> dict:
    return {
        "id": r.pk,
        "year": r.year,
        "label": r.label,
        "config_digest": r.config_digest,
        "started_at": r.started_at.isoformat(),
        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        "batches": list(r.batches or []),
        "data_notices": [
            {
                "kind": n.kind,
                "title": n.title,
                "changes": n.changes,
                "previous_run": n.other_run.pk if n.other_run else None,
            }
            for n in run_data_notices(r)
        ],
    }


def _facts_out(facts: list[tuple[str, str]]) -> list[dict]:
    return [{"label": k, "value": v} for k, v in facts]


def _presentation_out(p: Presentation) -> dict:
    """The presenter's words for the API: the same facts, sign blocks and charts the card shows."""
    return {
        "label": p.label,
        "facts": _facts_out(p.facts),
        "signs": [{**s, "facts": _facts_out(s["facts"])} for s in p.signs],
        "charts": p.charts,
    }


@api.get("/me", response=MeOut, summary="Текущий пользователь")
def me(request: HttpRequest) -> dict:
    """Who is calling and how many schools they see."""
    return {
        "username": request.user.get_username(),
        "role": user_role_label(user=request.user),
        "schools_visible": schools_visible_to(user=request.user).count(),
    }


@api.get("/regions", response=list[RegionOut], summary="Регионы")
def regions(request: HttpRequest) -> list:
    """Regions with visible schools."""
    return list(regions_visible_to(user=request.user))


@api.get("/municipalities", response=list[MunicipalityOut], summary="Муниципалитеты")
def municipalities(request: HttpRequest) -> list:
    """Municipalities with visible schools."""
    return list(municipalities_visible_to(user=request.user))


@api.get("/schools", response=list[SchoolOut], summary="Школы")
@paginate(Pages)
def schools(
    request: HttpRequest, q: str = Query("", **TEXT), municipality: int | None = Query(None, **ID)
) -> Any:
    """Visible schools, searched by login or name, optionally in one municipality; a page at a time (a
    country's 40,000 schools were read for every page of 50: 1.5 s a request)."""
    qs = schools_search(
        schools=schools_visible_to(user=request.user), q=q.strip(), municipality_id=municipality
    )
    return PageRows(qs, _school_out)


@api.get("/schools/{school_id}", response=SchoolOut, summary="Школа")
def school(request: HttpRequest, school_id: str = Path(..., **TEXT)) -> dict:
    """One visible school (404 for others)."""
    return _school_out(get_object_or_404(schools_visible_to(user=request.user), school_id=school_id))


@api.get("/schools/{school_id}/outcomes", response=list[OutcomeOut], summary="Итоги методики по школе")
def school_outcomes(
    request: HttpRequest, school_id: str = Path(..., **TEXT), run: int | None = Query(None, **ID)
) -> HttpResponse:
    """Every method's outcome for the school (with evidence) in one run, or in every done run.

    The answer is kept whole (checked against ``OutcomeOut`` and written once) under the school and the
    done runs it covers: a done run's outcomes never change, and a new or removed run changes the key.
    Who may see the school is checked on every call, before the kept answer is read."""
    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    runs = ident.runs_done()
    if run is not None:
        runs = runs.filter(pk=run)
    run_ids = list(runs.values_list("pk", flat=True))
    key = f"shnor:api:outcomes:{obj.pk}:{','.join(map(str, sorted(run_ids)))}"
    body = cached(key, lambda: _outcomes_json(obj, run_ids), ident.READ_CACHE_SECONDS)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


#: the outcomes answer's check: ``OutcomeOut``'s fields, without Ninja's wrapper around each object
_OUTCOMES = plain_adapter(list[OutcomeOut])


def _outcomes_json(school: School, run_ids: list[int]) -> bytes:
    """``school_outcomes``' answer as UTF-8 JSON, checked against its schema as Ninja checks it."""
    qs = (
        SchoolOutcome.objects.filter(school=school, run_id__in=run_ids)
        .select_related("run")
        .defer(*(f"run__{f}" for f in ident.RUN_HEAVY_FIELDS))
    )
    rows = [
        {
            "run_id": o.run_id,
            "year": o.run.year,
            "method": o.method,
            "flagged": o.flagged,
            "value": o.value,
            "label": o.label,
            "data": data,
            "presentation": _presentation_out(present(o.method, data=data, flagged=o.flagged, label=o.label)),
        }
        for o in qs.order_by("-run__year", "-run__started_at", "method")
        for data in [ident.outcome_data_resolved(outcome=o, run=o.run)]
    ]
    return dumps([r.model_dump() for r in _OUTCOMES.validate_python(rows)])


@api.get("/runs", response=list[RunOut], summary="Расчёты по методике")
def runs(request: HttpRequest) -> list:
    """Finished methodology runs, newest first."""
    return [_run_out(r) for r in ident.runs_done()]


#: The fields of a list row in the API (the page's rows carry more for the templates).
LIST_FIELDS = (
    "school_id",
    "name",
    "municipality",
    "value",
    "years_in_list",
    "track",
    "track_label",
    "details",
    "source",
    "reason",
)


@api.get("/lists/{kind}", response=list[ListRowOut], summary="Список (ШНОР, ШНСУ, необъективность, ФИОКО)")
@paginate(Pages)
def list_rows(
    request: HttpRequest,
    kind: str = Path(..., **TEXT),
    run: int | None = Query(None, **ID),
    year: int | None = Query(None, **YEAR),
    municipality: int | None = Query(None, **ID),
    track: str = Query("", **TEXT),
    min_years: int | None = Query(None, ge=0, le=100),
) -> Any:
    """The schools of a list in a run (latest done by default), within what the caller may see, a page at a
    time in the list's order (municipality, login)."""
    if kind not in ident.LISTS:
        raise HttpError(404, "нет такого списка: " + ", ".join(ident.LISTS))
    picked = ident.run_pick(run_id=run, year=year)
    if picked is None:
        raise HttpError(404, "нет завершённого расчёта")
    scope = schools_visible_to(user=request.user)
    if track or min_years is not None:
        # The track and the years on the list are known only once a row is built: the whole list is built
        # (and cached by the selector), then cut into pages.
        rows = ident.list_rows(
            schools=scope,
            run=picked,
            kind=kind,
            municipality_id=municipality,
            track=track,
            min_years=min_years,
        )
        return [{k: r[k] for k in LIST_FIELDS} for r in rows]
    basis = membership.basis_of(kind=kind, run=picked)
    listed = School.objects.filter(pk__in=membership.members(basis, scope))
    if municipality is not None:
        listed = listed.filter(municipality_id=municipality)
    # The selector's order, ending with the unique login, so that pages partition the list.
    listed = listed.order_by("municipality__name", "school_id")

    def page_rows(pks: list[int]) -> list[dict]:
        """The rows of the page's schools only, in the page's order."""
        if not pks:
            return []
        rows = ident.list_rows(
            schools=scope.filter(pk__in=pks), run=picked, kind=kind, municipality_id=municipality
        )
        at = {pk: i for i, pk in enumerate(pks)}
        rows.sort(key=lambda r: at[r["school"].pk])
        return [{k: r[k] for k in LIST_FIELDS} for r in rows]

    return PageRows(listed.values_list("pk", flat=True), out_page=page_rows)


@api.get(
    "/lists/{kind}/state", response=ListStateOut, summary="Состояние списка за год: утверждён или расчёт"
)
def list_state(
    request: HttpRequest,
    kind: str = Path(..., **TEXT),
    run: int | None = Query(None, **ID),
    year: int | None = Query(None, **YEAR),
) -> dict:
    """Whether the list of the run's year (latest done by default) is approved, by which order, and how many
    of the caller's visible schools it holds."""
    if kind not in ident.LISTS:
        raise HttpError(404, "нет такого списка: " + ", ".join(ident.LISTS))
    picked = ident.run_pick(run_id=run, year=year)
    if picked is None:
        raise HttpError(404, "нет завершённого расчёта")
    basis = membership.basis_of(kind=kind, run=picked)
    v = basis.version
    return {
        "kind": kind,
        "year": picked.year,
        "approved": v is not None,
        "version": v.number if v else None,
        "order_number": v.order_number if v else "",
        "order_date": v.order_date.isoformat() if v and v.order_date else None,
        "signatory": v.signatory if v else "",
        "run": picked.pk,
        "caption": basis.caption,
        "schools": membership.members(basis, schools_visible_to(user=request.user)).count(),
    }
