"""Writes of a region's settings: every save is a new version (author, time, reason), audited «было →
стало»; saving what is already active changes nothing. Only the region's analysts (and superusers)
write; a document is checked by the same core loader the computation uses before it is stored.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from shnor.core.methods import indicators as ind
from shnor.core.roadmaps import risk as risk_core
from shnor.core.roadmaps.templates import LEVEL_TITLES, TemplateError, template_from_mapping
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.regionconf import selectors as sel
from shnor.web.regionconf.models import Kind, SettingsVersion
from shnor.web.registry.models import Region

#: Russian names of the settings' fields in the audit's «было → стало» lines.
FIELD_TITLES = {
    "enabled": "включён",
    "name": "название",
    "formula": "методика расчёта",
    "better": "лучше",
    "targets": "цели",
    "title": "название",
    "text": "формулировка",
    "threshold": "порог риска",
    "max_chosen": "рисков не более",
    "labels": "варианты ответа",
    "risk_when_agree": "риск при согласии",
    "factor": "фактор риска",
    "group": "группа респондентов",
    "period": "сроки",
    "executor": "ответственные",
    "expected_result": "ожидаемый результат",
    "section": "раздел",
    "level": "уровень",
    "default": "по умолчанию",
    "year": "год плана",
    "calendar": "сроки по",
    "source": "источник",
    "archived": "в архиве",
    "number": "номер",
    "output_document": "итоговый документ",
    "co_executors": "соисполнители",
    "target_group": "целевая группа",
}
#: Fields never shown in «было → стало» (derived or internal).
HIDDEN = {"short", "code", "key", "version"}
#: Stored values shown in Russian.
VALUE_TITLES = {
    **LEVEL_TITLES,
    **ind.BETTER,
    "calendar_year": "календарному году",
    "school_year": "учебному году",
}


def _check(actor: User, region: Region) -> None:
    if not sel.can_edit(actor) or not Region.objects.visible_to(actor).filter(pk=region.pk).exists():
        raise PermissionDenied("изменять настройки региона может только региональный аналитик")


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    return VALUE_TITLES.get(str(value), str(value))


def _diff_items(before: dict[str, Any], after: dict[str, Any], what: str) -> list[str]:
    lines = []
    for k in sorted(set(before) | set(after), key=str):
        if k in HIDDEN:
            continue
        b, a = before.get(k), after.get(k)
        if b != a:
            lines.append(f"{what}: {FIELD_TITLES.get(str(k), str(k))}: {_show(b)} → {_show(a)}")
    return lines


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r.get(key, i)): dict(r) for i, r in enumerate(rows)}


def changes_describe(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The «было → стало» lines between two versions of a document, in the methodologist's words."""
    lines: list[str] = []
    if kind == Kind.INDICATORS:
        names = {str(a["code"]): str(a.get("name", "")) for a in ind.default_config().get("indicator", [])}
        names |= {str(a["code"]): str(a.get("name", "")) for a in after.get("added", [])}
        b_ed, a_ed = dict(before.get("edits", {})), dict(after.get("edits", {}))
        for code in sorted(set(b_ed) | set(a_ed)):
            lines += _diff_items(
                dict(b_ed.get(code, {})), dict(a_ed.get(code, {})), f"«{names.get(code, '')}»"
            )
        b_add, a_add = _by(before.get("added", []), "code"), _by(after.get("added", []), "code")
        lines += [f"добавлен показатель «{a_add[c]['name']}»" for c in a_add if c not in b_add]
        lines += [f"удалён показатель «{b_add[c]['name']}»" for c in b_add if c not in a_add]
        return lines
    if kind == Kind.TEMPLATE:
        lines += _diff_items(
            {k: v for k, v in before.items() if k != "activities"},
            {k: v for k, v in after.items() if k != "activities"},
            "шаблон",
        )
        b_a, a_a = _by(before.get("activities", []), "number"), _by(after.get("activities", []), "number")
        for n in a_a:
            if n not in b_a:
                lines.append(f"добавлено мероприятие {n}: «{a_a[n].get('title', '')}»")
            else:
                lines += _diff_items(b_a[n], a_a[n], f"мероприятие {n}")
        lines += [f"удалено мероприятие {n}: «{b_a[n].get('title', '')}»" for n in b_a if n not in a_a]
        return lines
    lines += _diff_items(
        {k: before.get(k) for k in ("threshold", "max_chosen")},
        {k: after.get(k) for k in ("threshold", "max_chosen")},
        "анкета",
    )
    lines += _diff_items(
        {"labels": dict(before.get("scale", {})).get("labels")},
        {"labels": dict(after.get("scale", {})).get("labels")},
        "шкала",
    )
    b_f, a_f = _by(before.get("factors", []), "code"), _by(after.get("factors", []), "code")
    for c in a_f:
        if b_f.get(c, {}).get("title") != a_f[c].get("title"):
            lines.append(f"фактор риска: {_show(b_f.get(c, {}).get('title'))} → {a_f[c].get('title')}")
    b_q, a_q = _by(before.get("questions", []), "code"), _by(after.get("questions", []), "code")
    for c in a_q:
        if c not in b_q:
            lines.append(f"добавлен вопрос «{a_q[c].get('text', '')}»")
        else:
            lines += _diff_items(b_q[c], a_q[c], f"вопрос «{b_q[c].get('text', '')}»")
    lines += [f"удалён вопрос «{b_q[c].get('text', '')}»" for c in b_q if c not in a_q]
    return lines


@transaction.atomic
def version_save(
    *,
    actor: User,
    region: Region,
    kind: str,
    key: str,
    title: str,
    data: dict[str, Any],
    reason: str,
    before: dict[str, Any] | None = None,
) -> tuple[SettingsVersion, bool]:
    """Store a new version of a document (checked before) unless it equals the active one; ``before``:
    what a first version changes (the shipped document).

    Returns the active version and whether a new one was made. The audit entry names the author's
    reason and lists what changed («было → стало»).
    """
    _check(actor, region)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("укажите основание изменения (например, протокол или приказ)")
    current = (
        SettingsVersion.objects.select_for_update()
        .filter(region=region, kind=kind, key=key)
        .order_by("-number")
        .first()
    )
    if current is not None and current.data == data and current.title == title:
        return current, False
    number = (
        SettingsVersion.objects.filter(region=region, kind=kind, key=key).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    version = SettingsVersion.objects.create(
        region=region,
        kind=kind,
        key=key,
        number=number,
        title=title[:500],
        data=data,
        reason=reason[:500],
        archived=bool(data.get("archived", False)),
        author=actor if getattr(actor, "pk", None) else None,
    )
    lines = changes_describe(kind, current.data if current is not None else (before or {}), data)
    audit_record(
        action="изменение настроек региона",
        object_type=Kind(kind).label,
        object_id=str(version.pk),
        object_repr=str(version)[:500],
        changes={"было → стало": lines[:200], "основание": reason, "версия": number},
    )
    return version, True


# --------------------------------------------------------------------------------------------
# indicators


def _check_indicators(overrides: dict[str, Any]) -> None:
    try:
        ind.load_indicators(ind.config_with_overrides(overrides))
    except ValueError as exc:
        raise ValidationError(f"набор показателей не принят: {exc}") from None


def indicators_save(
    *, actor: User, region: Region, edits: dict[str, dict[str, Any]], reason: str
) -> tuple[SettingsVersion, bool]:
    """Save the region's edits of the indicator set (switched off/on, wording, targets, direction)."""
    overrides, _ = sel.indicator_overrides(region=region)
    data = {"edits": {c: e for c, e in sorted(edits.items()) if e}, "added": list(overrides.get("added", []))}
    _check_indicators(data)
    return version_save(
        actor=actor,
        region=region,
        kind=Kind.INDICATORS,
        key=sel.INDICATORS_KEY,
        title="Набор показателей мониторинга",
        data=data,
        reason=reason,
    )


def indicator_add(
    *,
    actor: User,
    region: Region,
    section: str,
    name: str,
    formula: str,
    unit: str,
    levels: list[str],
    aggregate: str,
    targets: dict[int, float],
    better: str,
    reason: str,
) -> tuple[SettingsVersion, bool]:
    """Add the region's own manual indicator (its code is generated and never shown)."""
    _check(actor, region)
    overrides, _ = sel.indicator_overrides(region=region)
    added = [dict(a) for a in overrides.get("added", [])]
    if any(str(a.get("name", "")).strip().lower() == name.strip().lower() for a in added):
        raise ValidationError(f"показатель «{name}» уже добавлен")
    used = {int(m) for a in added for m in re.findall(rf"^r{region.pk}_(\d+)$", str(a.get("code", "")))}
    code = f"r{region.pk}_{max(used, default=0) + 1}"
    added.append(
        {
            "code": code,
            "section": section.strip() or "Показатели региона",
            "name": name.strip(),
            "formula": formula.strip(),
            "unit": unit,
            "source": ind.MANUAL,
            "sources": ["вносится вручную"],
            "levels": list(levels),
            "aggregate": aggregate,
        }
    )
    edits = dict(overrides.get("edits", {}))
    if targets or better != "higher":
        edits[code] = {"targets": {str(y): v for y, v in sorted(targets.items())}, "better": better}
    data = {"edits": edits, "added": added}
    _check_indicators(data)
    return version_save(
        actor=actor,
        region=region,
        kind=Kind.INDICATORS,
        key=sel.INDICATORS_KEY,
        title="Набор показателей мониторинга",
        data=data,
        reason=reason,
    )


# --------------------------------------------------------------------------------------------
# roadmap templates


def template_check(data: dict[str, Any], *, key: str) -> None:
    """A template document the roadmaps can use (Russian ValidationError otherwise)."""
    if data.get("level") not in LEVEL_TITLES:
        raise ValidationError("выберите уровень дорожной карты")
    if not data.get("activities"):
        raise ValidationError("в шаблоне нет ни одного мероприятия")
    try:
        template_from_mapping({**data, "key": key}, name=str(data.get("title") or "шаблон"))
    except TemplateError as exc:
        raise ValidationError(str(exc)) from None


def template_save(
    *, actor: User, region: Region, data: dict[str, Any], reason: str, key: str | None = None
) -> tuple[SettingsVersion, bool]:
    """Save a region's template (a new one when ``key`` is None; its key is generated)."""
    _check(actor, region)
    if key is None:
        used = SettingsVersion.objects.filter(region=region, kind=Kind.TEMPLATE).values_list("key", flat=True)
        nums = [int(m) for k in used for m in re.findall(rf"^region{region.pk}_(\d+)$", k)]
        key = f"region{region.pk}_{max(nums, default=0) + 1}"
    elif not SettingsVersion.objects.filter(region=region, kind=Kind.TEMPLATE, key=key).exists():
        raise ValidationError("нет такого шаблона региона")
    data = {**data, "short": data.get("short") or data.get("title", "")}
    data.pop("key", None)
    template_check(data, key=key)
    return version_save(
        actor=actor,
        region=region,
        kind=Kind.TEMPLATE,
        key=key,
        title=str(data.get("title", "")),
        data=data,
        reason=reason,
    )


# --------------------------------------------------------------------------------------------
# questionnaire


def questionnaire_save(
    *, actor: User, region: Region, data: dict[str, Any], reason: str
) -> tuple[SettingsVersion, bool]:
    """Save the region's questionnaire (factors, questions, answer labels, threshold), checked first."""
    _check(actor, region)
    data = {k: v for k, v in data.items() if k != "version"}
    try:
        risk_core.questionnaire_from_mapping(data, name="анкета")
    except risk_core.QuestionnaireError as exc:
        raise ValidationError(str(exc)) from None
    last = sel.active(region=region, kind=Kind.QUESTIONNAIRE, key=sel.QUESTIONNAIRE_KEY)
    if last is not None and {k: v for k, v in last.data.items() if k != "version"} == data:
        return last, False
    number = (last.number if last is not None else 0) + 1
    return version_save(
        actor=actor,
        region=region,
        kind=Kind.QUESTIONNAIRE,
        key=sel.QUESTIONNAIRE_KEY,
        title=str(data.get("title", "Анкета")),
        data={**data, "version": f"регион, версия {number}"},
        reason=reason,
        before=risk_core.questionnaire_data_default(),
    )


def version_changes(version: SettingsVersion) -> list[str]:
    """What ``version`` changed against the version before it (the first one: against the shipped)."""
    prev = (
        SettingsVersion.objects.filter(
            region=version.region, kind=version.kind, key=version.key, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )
    if prev is not None:
        base = prev.data
    elif version.kind == Kind.QUESTIONNAIRE:
        base = risk_core.questionnaire_data_default()
    else:
        base = {}
    return changes_describe(version.kind, base, version.data)


def version_restore(*, actor: User, version: SettingsVersion, reason: str) -> tuple[SettingsVersion, bool]:
    """Make an earlier version active again: it is saved as the newest version (history kept)."""
    reason = reason or f"возврат к версии {version.number}"
    if version.kind == Kind.QUESTIONNAIRE:
        return questionnaire_save(actor=actor, region=version.region, data=dict(version.data), reason=reason)
    return version_save(
        actor=actor,
        region=version.region,
        kind=version.kind,
        key=version.key,
        title=version.title,
        data=dict(version.data),
        reason=reason,
    )
