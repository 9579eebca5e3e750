"""Criteria of external evaluation (комплексная проверка школы, экспертиза программ) as configuration.

The text is data (``criteria.toml`` beside this module, versioned by its ``version`` key); a region may
add forms or replace a shipped form of the same code with its own file (``criteria_load(path)``). This
module reads the file into frozen dataclasses and scores a form: the mean of the experts' scores per
criterion, summed by section. Plain Python, no Django.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

CRITERIA_PACKAGE = "shnor.core.evaluation"
CRITERIA_FILE = "criteria.toml"

#: Scales: code → (the options as (score, Russian label), the Russian name of the scale).
SCALES: dict[str, tuple[tuple[tuple[int, str], ...], str]] = {
    "0-2": (
        ((0, "0 — не соответствует"), (1, "1 — частично соответствует"), (2, "2 — соответствует")),
        "0–2 балла",
    ),
    "yes_no": (((1, "да"), (0, "нет")), "да/нет"),
}


class CriteriaError(ValueError):
    """A criteria file that cannot be used (message in Russian, names the file, form and field)."""


@dataclass(frozen=True)
class Criterion:
    """One criterion: its code, the statement to check, the scale and the expert's guidance."""

    code: str
    text: str
    scale: str
    guidance: str = ""

    @property
    def options(self) -> tuple[tuple[int, str], ...]:
        """The scale's (score, label) options."""
        return SCALES[self.scale][0]

    @property
    def max_score(self) -> int:
        """The highest score of the scale."""
        return max(score for score, _ in self.options)

    @property
    def scale_label(self) -> str:
        """The scale named in Russian («0–2 балла», «да/нет»)."""
        return SCALES[self.scale][1]

    def label_of(self, score: int | None) -> str:
        """The Russian label of a score («—» when there is none)."""
        return dict(self.options).get(score, "—") if score is not None else "—"


@dataclass(frozen=True)
class Section:
    """A section of a form (управление, кадры, …) and its criteria."""

    code: str
    title: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class EvaluationForm:
    """A form of evaluation: a set of criteria by section, with the version of the file it came from."""

    code: str
    title: str
    version: str
    sections: tuple[Section, ...]
    subject_required: bool = False

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion of the form, in order."""
        return tuple(c for s in self.sections for c in s.criteria)

    def criterion(self, code: str) -> Criterion:
        """The criterion of ``code`` (KeyError when the form has none)."""
        for c in self.criteria:
            if c.code == code:
                return c
        raise KeyError(code)


@dataclass(frozen=True)
class CriteriaSet:
    """The forms of one criteria file (or the shipped file with a region's merged over it)."""

    version: str
    forms: tuple[EvaluationForm, ...]

    def form(self, code: str) -> EvaluationForm:
        """The form of ``code``; CriteriaError in Russian when there is none."""
        for f in self.forms:
            if f.code == code:
                return f
        known = ", ".join(f.code for f in self.forms)
        raise CriteriaError(f"нет формы оценки «{code}» (есть: {known})")


@dataclass(frozen=True)
class SectionScore:
    """A section's result: the sum of the criteria's mean scores, its maximum and the share."""

    code: str
    title: str
    score: float
    max_score: int
    scored: int
    total: int

    @property
    def percent(self) -> int:
        """The share of the maximum, in whole percent (0 when nothing was scored)."""
        return round(100 * self.score / self.max_score) if self.max_score else 0


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise CriteriaError(f"{where}: поле «{key}» должно быть строкой, получено {value!r}")
    if required and not value.strip():
        raise CriteriaError(f"{where}: не заполнено поле «{key}»")
    return value.strip()


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, Mapping) for v in value):
        raise CriteriaError(f"{where}: нет ни одного раздела «{key}» (ожидается [[…{key}]])")
    return value


def _criterion(data: Mapping[str, Any], where: str) -> Criterion:
    code = _text(data, "code", where)
    here = f"{where}, критерий {code}"
    scale = _text(data, "scale", here)
    if scale not in SCALES:
        raise CriteriaError(f"{here}: неизвестная шкала «{scale}» (допустимы: {', '.join(SCALES)})")
    return Criterion(code, _text(data, "text", here), scale, _text(data, "guidance", here, required=False))


def _form(data: Mapping[str, Any], version: str, where: str) -> EvaluationForm:
    code = _text(data, "code", where)
    here = f"{where}, форма {code}"
    sections = []
    for s in _list(data, "sections", here):
        s_code = _text(s, "code", here)
        s_where = f"{here}, раздел {s_code}"
        crit = tuple(_criterion(c, s_where) for c in _list(s, "criteria", s_where))
        sections.append(Section(s_code, _text(s, "title", s_where), crit))
    codes = [c.code for s in sections for c in s.criteria]
    doubles = sorted({c for c in codes if codes.count(c) > 1})
    if doubles:
        raise CriteriaError(f"{here}: коды критериев повторяются: {', '.join(doubles)}")
    required = data.get("subject_required", False)
    if not isinstance(required, bool):
        raise CriteriaError(f"{here}: поле «subject_required» должно быть true или false")
    return EvaluationForm(code, _text(data, "title", here), version, tuple(sections), required)


def criteria_parse(data: Mapping[str, Any], where: str) -> CriteriaSet:
    """Read a parsed criteria file (``where`` names it in the errors)."""
    version = data.get("version")
    if not isinstance(version, str | int) or not str(version).strip():
        raise CriteriaError(f"{where}: не указана версия критериев (ключ version)")
    forms = tuple(_form(f, str(version), where) for f in _list(data, "forms", where))
    codes = [f.code for f in forms]
    doubles = sorted({c for c in codes if codes.count(c) > 1})
    if doubles:
        raise CriteriaError(f"{where}: коды форм повторяются: {', '.join(doubles)}")
    return CriteriaSet(str(version), forms)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CriteriaError(f"Файл критериев оценки не найден: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError(f"Файл критериев оценки {path} не читается как TOML: {exc}") from exc


def criteria_shipped() -> CriteriaSet:
    """The shipped criteria (``criteria.toml``)."""
    text = resources.files(CRITERIA_PACKAGE).joinpath(CRITERIA_FILE).read_text(encoding="utf-8")
    return criteria_parse(tomllib.loads(text), CRITERIA_FILE)


def criteria_load(path: Path | None = None) -> CriteriaSet:
    """The shipped criteria with a region's file merged over them: its forms replace the shipped forms of
    the same code and new codes are added; the set's version is «<shipped>+<region's>»."""
    shipped = criteria_shipped()
    if path is None:
        return shipped
    region = criteria_parse(_read(Path(path)), Path(path).name)
    own = {f.code: f for f in region.forms}
    forms = [own.pop(f.code, f) for f in shipped.forms] + list(own.values())
    return CriteriaSet(f"{shipped.version}+{region.version}", tuple(forms))


def form_to_dict(form: EvaluationForm) -> dict[str, Any]:
    """The form as plain data (stored with an evaluation, so later edits of the file do not change it)."""
    return {
        "code": form.code,
        "title": form.title,
        "version": form.version,
        "subject_required": form.subject_required,
        "sections": [
            {
                "code": s.code,
                "title": s.title,
                "criteria": [
                    {"code": c.code, "text": c.text, "scale": c.scale, "guidance": c.guidance}
                    for c in s.criteria
                ],
            }
            for s in form.sections
        ],
    }


def form_from_dict(data: Mapping[str, Any]) -> EvaluationForm:
    """A form stored with ``form_to_dict`` read back."""
    return _form(data, str(data.get("version", "")), "сохранённая форма")


def section_scores(form: EvaluationForm, reviews: Sequence[Mapping[str, int | None]]) -> list[SectionScore]:
    """Per section: the sum over its criteria of the mean score the experts gave (criteria nobody scored
    count 0 and are not in ``scored``), with the section's maximum."""
    rows = []
    for s in form.sections:
        score, scored = 0.0, 0
        for c in s.criteria:
            given = [int(r[c.code]) for r in reviews if r.get(c.code) is not None]  # type: ignore[arg-type]
            if given:
                score += sum(given) / len(given)
                scored += 1
        rows.append(
            SectionScore(
                s.code,
                s.title,
                round(score, 2),
                sum(c.max_score for c in s.criteria),
                scored,
                len(s.criteria),
            )
        )
    return rows
