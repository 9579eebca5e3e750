"""Reads of a region's settings: who may see and edit them, the active version of each document, and
what the computation and the roadmaps take from them (the indicator set, templates, questionnaire).

The latest version of a document is the active one. Every read of a user's settings goes through
``SettingsVersion.objects.visible_to`` (the region must be visible) and the role rule
``can_view`` (region-wide roles and municipality coordinators; schools, teachers and curators do not
see the region's settings).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shnor.core.methods import indicators as ind
from shnor.core.roadmaps import risk as risk_core
from shnor.core.roadmaps.templates import (
    LEVEL_TITLES,
    RoadmapTemplate,
    TemplateError,
    template_from_mapping,
    templates_load,
)
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.regionconf.models import Kind, SettingsVersion
from shnor.web.registry.models import Municipality, Region, School

INDICATORS_KEY = "indicators"
QUESTIONNAIRE_KEY = "questionnaire"


# --------------------------------------------------------------------------------------------
# who


def can_view(user: User | Scope) -> bool:
    """Region-wide roles (analyst, observer), municipality coordinators and superusers see the settings."""
    scope = scope_of(user)
    return scope.sees_rows and (scope.region_wide or scope.role == Role.MUNICIPALITY)


def can_edit(user: User | Scope) -> bool:
    """Only the region's analysts (and superusers) change the settings; observers and municipalities read."""
    scope = scope_of(user)
    return scope.sees_rows and scope.can_import


def region_of(user: User | Scope) -> Region | None:
    """The region whose settings the user works with (a superuser: the first visible region)."""
    scope = scope_of(user)
    if not can_view(scope):
        return None
    regions = Region.objects.visible_to(scope).order_by("pk")
    if scope.region_id is not None:
        return regions.filter(pk=scope.region_id).first()
    if scope.municipality_id is not None:
        return regions.filter(municipalities__pk=scope.municipality_id).first()
    return regions.first()


def region_of_unit(unit: Any) -> Region | None:
    """The region of a school, a municipality or a region."""
    if isinstance(unit, Region):
        return unit
    if isinstance(unit, Municipality):
        return unit.region
    if isinstance(unit, School):
        return unit.region or (unit.municipality.region if unit.municipality else None)
    return None


def versions_visible_to(*, user: User | Scope) -> QuerySet[SettingsVersion]:
    """Every settings version the user may read."""
    if not can_view(user):
        return SettingsVersion.objects.none()
    return SettingsVersion.objects.visible_to(user).select_related("author", "region")


# --------------------------------------------------------------------------------------------
# versions


def active(*, region: Region | None, kind: str, key: str) -> SettingsVersion | None:
    """The active (latest) version of a document, None when the region never saved one."""
    if region is None:
        return None
    return (
        SettingsVersion.objects.filter(region=region, kind=kind, key=key)
        .select_related("author")
        .order_by("-number")
        .first()
    )


def history(*, user: User | Scope, kind: str, key: str) -> list[SettingsVersion]:
    """The versions of a document of the user's region, newest first."""
    region = region_of(user)
    return list(versions_visible_to(user=user).filter(region=region, kind=kind, key=key).order_by("-number"))


# --------------------------------------------------------------------------------------------
# indicators


def indicator_overrides(*, region: Region | None) -> tuple[dict[str, Any], SettingsVersion | None]:
    """The region's edits of the indicator set (empty without a saved version) and that version."""
    v = active(region=region, kind=Kind.INDICATORS, key=INDICATORS_KEY)
    return (dict(v.data) if v is not None else {"edits": {}, "added": []}), v


def indicators_for(*, region: Region | None) -> tuple[list[ind.Indicator], SettingsVersion | None]:
    """The indicator set a computation for ``region`` uses (the defaults when it has no version)."""
    overrides, v = indicator_overrides(region=region)
    if v is None:
        return ind.load_indicators(), None
    return ind.load_indicators(ind.config_with_overrides(overrides)), v


def indicators_all(*, region: Region | None) -> list[dict[str, Any]]:
    """Every indicator of the defaults and the region's own, switched off ones included, with the
    region's edits: what the settings page lists."""
    overrides, _ = indicator_overrides(region=region)
    cfg = ind.config_with_overrides(overrides)
    edits = dict(overrides.get("edits", {}))
    added = {str(a.get("code")) for a in overrides.get("added", [])}
    out = []
    for spec in cfg["indicator"]:
        code = str(spec["code"])
        targets = {int(y): float(v) for y, v in dict(spec.get("targets", {})).items()}
        out.append(
            {
                "code": code,
                "section": str(spec.get("section", "")),
                "name": str(spec.get("name", "")),
                "formula": str(spec.get("formula", "")),
                "unit": str(spec.get("unit", "")),
                "computed": spec.get("source") == ind.COMPUTED,
                "enabled": spec.get("enabled", True) is not False,
                "better": str(spec.get("better", "higher")),
                "targets": targets,
                "targets_text": targets_text(targets),
                "own": code in added,
                "edited": code in edits,
            }
        )
    return out


def targets_text(targets: dict[int, float]) -> str:
    """«2025: 80; 2026: 85» (a comma as the decimal separator)."""
    return "; ".join(f"{y}: {f'{v:g}'.replace('.', ',')}" for y, v in sorted(targets.items()))


def manual_indicator_choices() -> list[tuple[str, str]]:
    """Manual indicators: the shipped ones and every region's own (for the entry form of the values)."""
    out = [(i.code, i.name) for i in ind.load_indicators() if not i.computed]
    seen = {c for c, _ in out}
    latest: dict[int, SettingsVersion] = {}
    for v in SettingsVersion.objects.filter(kind=Kind.INDICATORS, key=INDICATORS_KEY).order_by("number"):
        latest[v.region_id] = v
    for v in latest.values():
        for spec in v.data.get("added", []):
            code = str(spec.get("code", ""))
            if code and code not in seen:
                seen.add(code)
                out.append((code, str(spec.get("name", code))))
    return out


# --------------------------------------------------------------------------------------------
# roadmap templates


def _template(v: SettingsVersion) -> RoadmapTemplate | None:
    try:
        return template_from_mapping({**v.data, "key": v.key}, name=v.title or v.key)
    except TemplateError:
        return None


def template_by_key(key: str) -> RoadmapTemplate | None:
    """The active version of a region's own template ``key`` (the source core's ``template_get`` asks)."""
    v = SettingsVersion.objects.filter(kind=Kind.TEMPLATE, key=key).order_by("-number").first()
    return _template(v) if v is not None else None


def region_templates(*, region: Region | None, include_archived: bool = False) -> list[dict[str, Any]]:
    """The region's own templates (active versions): key, template, version, default flag."""
    if region is None:
        return []
    latest: dict[str, SettingsVersion] = {}
    for v in (
        SettingsVersion.objects.filter(region=region, kind=Kind.TEMPLATE)
        .select_related("author")
        .order_by("key", "number")
    ):
        latest[v.key] = v
    out = []
    for key, v in sorted(latest.items(), key=lambda kv: kv[1].created_at, reverse=True):
        tpl = _template(v)
        if tpl is None or (v.archived and not include_archived):
            continue
        out.append(
            {
                "key": key,
                "template": tpl,
                "version": v,
                "default": bool(v.data.get("default")),
                "level_title": LEVEL_TITLES.get(tpl.level, ""),
            }
        )
    return out


def builtin_templates() -> list[RoadmapTemplate]:
    """The shipped templates (the seeds' plans)."""
    return list(templates_load().values())


def template_choices_for(
    *, user: User | Scope | None, level: str | None
) -> list[tuple[str, RoadmapTemplate]]:
    """The region's own templates a user creating a roadmap of ``level`` may pick."""
    if user is None:
        return []
    region = region_acting(user)
    if region is None:
        return []
    return [
        (r["key"], r["template"])
        for r in region_templates(region=region)
        if level is None or r["template"].for_level(level)
    ]


def default_template_keys(*, region: Region | None, level: str) -> list[str]:
    """The region's template marked «по умолчанию» for ``level`` (newest first), else nothing."""
    return [
        r["key"] for r in region_templates(region=region) if r["default"] and r["template"].level == level
    ][:1]


# --------------------------------------------------------------------------------------------
# questionnaire


def questionnaire_data(*, region: Region | None) -> tuple[dict[str, Any], SettingsVersion | None]:
    """The region's questionnaire as a mapping (the shipped one when never edited) and its version."""
    v = active(region=region, kind=Kind.QUESTIONNAIRE, key=QUESTIONNAIRE_KEY)
    return (dict(v.data) if v is not None else risk_core.questionnaire_data_default()), v


def questionnaire_for(*, region: Region | None) -> risk_core.Questionnaire:
    """The questionnaire a survey of ``region`` uses: its active version, else the shipped one."""
    data, v = questionnaire_data(region=region)
    if v is None:
        return risk_core.questionnaire_default()
    try:
        return risk_core.questionnaire_from_mapping(data, name=f"анкета региона, версия {v.number}")
    except risk_core.QuestionnaireError:
        return risk_core.questionnaire_default()


def region_acting(user: User | Scope) -> Region | None:
    """The region a user acts in (any role: a school's or a curator's region too), None without one."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return None
    return region_of(scope) or Region.objects.visible_to(scope).order_by("pk").first()
