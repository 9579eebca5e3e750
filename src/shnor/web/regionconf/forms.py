"""Forms of the settings pages: the indicator table, a new indicator, a template and the questionnaire.

The editable tables post one group of fields per row (``name-<code>``, ``a-<n>-title``…); the
functions here read them into the documents the services check and store. Errors are Russian and
name the row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from shnor.core.methods import indicators as ind
from shnor.core.roadmaps.templates import LEVEL_TITLES

UNITS = [("%", "доля, %"), ("шт.", "количество, шт."), ("да/нет", "да или нет")]
AGGREGATES = [("none", "только внесённое на уровне"), ("sum", "сумма значений школ")]
ACTIVITY_FIELDS = ("number", "section", "title", "period", "executor", "expected_result", "output_document")
EMPTY_ROWS = 3


def targets_parse(text: str, *, where: str) -> dict[int, float]:
    """«2025: 80; 2026: 85,5» → {2025: 80.0, 2026: 85.5} (Russian error naming ``where``)."""
    out: dict[int, float] = {}
    for part in re.split(r"[;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{4})\s*[:—–-]\s*(-?\d+(?:[.,]\d+)?)\s*%?", part)
        if not m:
            raise ValidationError(f"{where}: цель «{part}» не прочитана — пишите «2025: 80; 2026: 85»")
        out[int(m.group(1))] = float(m.group(2).replace(",", "."))
    return out


def indicator_edits_from_post(
    post: Any, rows: list[dict[str, Any]], bases: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The edits of the indicator table: what differs from each indicator's own wording (``bases``:
    the shipped spec or the region's added one), switching off, direction and targets."""
    edits: dict[str, dict[str, Any]] = {}
    for r in rows:
        code = r["code"]
        base = bases.get(code, {})
        e: dict[str, Any] = {}
        if not post.get(f"on-{code}"):
            e["enabled"] = False
        for fld, title in (("name", "название"), ("formula", "методика")):
            text = " ".join(str(post.get(f"{fld}-{code}", r[fld])).split())
            if not text:
                raise ValidationError(f"«{r['name']}»: не заполнено поле «{title}»")
            if text != str(base.get(fld, "")):
                e[fld] = text
        better = str(post.get(f"better-{code}", "higher"))
        if better not in ind.BETTER:
            raise ValidationError(f"«{r['name']}»: неизвестное направление")
        if better != "higher":
            e["better"] = better
        targets = targets_parse(str(post.get(f"targets-{code}", "")), where=f"«{r['name']}»")
        if targets:
            e["targets"] = {str(y): v for y, v in sorted(targets.items())}
        edits[code] = e
    return edits


class IndicatorAddForm(forms.Form):
    """The region's own indicator, entered by hand (its code is generated)."""

    name = forms.CharField(label="Название показателя", max_length=500)
    section = forms.CharField(label="Раздел", max_length=300, required=False)
    formula = forms.CharField(label="Методика расчёта", max_length=1000)
    unit = forms.ChoiceField(label="Единица", choices=UNITS)
    levels = forms.MultipleChoiceField(
        label="Где вносится",
        choices=[(k, v) for k, v in ind.LEVEL_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["region"],
    )
    aggregate = forms.ChoiceField(label="Значение муниципалитета и региона", choices=AGGREGATES)
    targets = forms.CharField(label="Цели по годам", required=False, help_text="например: 2025: 80; 2026: 85")
    better = forms.ChoiceField(label="Направление", choices=list(ind.BETTER.items()))
    reason = forms.CharField(label="Основание изменения", max_length=500)

    def clean_targets(self) -> dict[int, float]:
        """The targets as numbers by year."""
        return targets_parse(self.cleaned_data.get("targets", ""), where="Цели по годам")


class TemplateHeadForm(forms.Form):
    """The head of a region's template (its activities come from the table rows)."""

    title = forms.CharField(label="Название шаблона", max_length=500)
    level = forms.ChoiceField(label="Уровень дорожной карты", choices=list(LEVEL_TITLES.items()))
    calendar = forms.ChoiceField(
        label="Сроки по", choices=[("calendar_year", "календарному году"), ("school_year", "учебному году")]
    )
    year = forms.IntegerField(label="Год плана", min_value=2000, max_value=2100)
    default = forms.BooleanField(
        label="Предлагать по умолчанию для новых дорожных карт уровня", required=False
    )
    archived = forms.BooleanField(label="В архиве (не предлагать)", required=False)
    source = forms.CharField(label="Источник (приказ, приложение)", max_length=500, required=False)
    reason = forms.CharField(label="Основание изменения", max_length=500)


def activities_from_post(post: Any) -> list[dict[str, str]]:
    """The activity rows of the template table; an empty row is dropped, a row without a title is an error."""
    idx = sorted({int(m.group(1)) for k in post for m in [re.match(r"^a-(\d+)-title$", k)] if m})
    out: list[dict[str, str]] = []
    for i in idx:
        row = {f: " ".join(str(post.get(f"a-{i}-{f}", "")).split()) for f in ACTIVITY_FIELDS}
        if not any(row.values()):
            continue
        if not row["title"]:
            raise ValidationError(f"строка {len(out) + 1} таблицы: не заполнено мероприятие")
        row["number"] = row["number"].rstrip(".") or str(len(out) + 1)
        out.append({k: v for k, v in row.items() if v or k in ("number", "title")})
    return out


def template_data(head: dict[str, Any], activities: list[dict[str, str]]) -> dict[str, Any]:
    """The template document from its head and rows."""
    return {
        "title": head["title"],
        "level": head["level"],
        "calendar": head["calendar"],
        "year": int(head["year"]),
        "source": head.get("source", ""),
        "default": bool(head.get("default")),
        "archived": bool(head.get("archived")),
        "activities": activities,
    }


class ImportForm(forms.Form):
    """An order appendix's table to read into a template."""

    file = forms.FileField(label="Таблица приложения к приказу (XLSX или DOCX)")
    title = forms.CharField(label="Название шаблона", max_length=500)
    level = forms.ChoiceField(label="Уровень дорожной карты", choices=list(LEVEL_TITLES.items()))
    year = forms.IntegerField(label="Год плана", min_value=2000, max_value=2100)
    target = forms.ChoiceField(label="Куда", required=False, choices=[("", "новый шаблон")])

    def __init__(self, *args: Any, own: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "новый шаблон")] + [(k, f"новая версия: {t}") for k, t in own]


def questionnaire_from_post(post: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The edited questionnaire: threshold, number of risks, answer labels, factor titles, questions
    (text, factor, direction, removal) and one new question."""
    out = {k: v for k, v in data.items()}
    try:
        out["threshold"] = float(str(post.get("threshold", data.get("threshold", 50))).replace(",", "."))
        out["max_chosen"] = int(post.get("max_chosen", data.get("max_chosen", 3)))
    except ValueError:
        raise ValidationError("порог риска и число рисков — числа") from None
    if not 0 <= out["threshold"] <= 100:
        raise ValidationError("порог риска — от 0 до 100 баллов")
    if out["max_chosen"] < 1:
        raise ValidationError("число выбираемых рисков — не меньше 1")
    scale = dict(data.get("scale", {}))
    labels = list(scale.get("labels", []))
    for i in range(len(labels)):
        text = " ".join(str(post.get(f"label-{i}", labels[i])).split())
        if not text:
            raise ValidationError(f"вариант ответа {i + 1}: не заполнена подпись")
        labels[i] = text
    out["scale"] = {**scale, "labels": labels}
    factors = []
    for f in data.get("factors", []):
        title = " ".join(str(post.get(f"f-{f['code']}", f["title"])).split())
        if not title:
            raise ValidationError("у фактора риска не заполнено название")
        factors.append({**f, "title": title})
    out["factors"] = factors
    codes = {f["code"] for f in factors}
    questions = []
    for q in data.get("questions", []):
        c = q["code"]
        if post.get(f"q-{c}-off"):
            continue
        text = " ".join(str(post.get(f"q-{c}-text", q["text"])).split())
        if not text:
            raise ValidationError(f"вопрос {len(questions) + 1}: не заполнена формулировка")
        factor = str(post.get(f"q-{c}-factor", q["factor"]))
        if factor not in codes:
            raise ValidationError(f"вопрос «{text}»: выберите фактор риска")
        risk = bool(post.get(f"q-{c}-risk")) if f"q-{c}-seen" in post else bool(q.get("risk_when_agree"))
        questions.append({**q, "text": text, "factor": factor, "risk_when_agree": risk})
    new_text = " ".join(str(post.get("new-text", "")).split())
    if new_text:
        group, factor = str(post.get("new-group", "")), str(post.get("new-factor", ""))
        if group not in dict(data.get("groups", {})):
            raise ValidationError("новый вопрос: выберите группу респондентов")
        if factor not in codes:
            raise ValidationError("новый вопрос: выберите фактор риска")
        prefix = {"director": "D", "teachers": "T", "pupils": "S", "parents": "P"}.get(group, "Q")
        used = {q["code"] for q in data.get("questions", [])}
        n = 1
        while f"{prefix}{n:02d}" in used:
            n += 1
        questions.append(
            {
                "code": f"{prefix}{n:02d}",
                "group": group,
                "factor": factor,
                "text": new_text,
                "risk_when_agree": bool(post.get("new-risk")),
            }
        )
    out["questions"] = questions
    return out
