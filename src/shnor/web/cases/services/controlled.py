"""Controlled procedures (observers, video, checking outside the school) and the school's results under
control against its other tests of the year and the same cohort a year earlier."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError

from shnor.core.labels import SUBJECT_LABELS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.assessments.selectors import results_scan
from shnor.web.cases.models import ControlledProcedure
from shnor.web.registry.models import School

NOT_ENOUGH = "недостаточно данных"


def controlled_record(
    *, actor: User, school: School, year: int, subject: str, grade: int, kind: str, note: str = ""
) -> ControlledProcedure:
    """Record that a test of the school was held under control (region or the school's municipality)."""
    scope = scope_of(actor)
    if not (scope.can_manage_school(school) and (scope.superuser or not scope.acts_as(Role.OBSERVER))):
        raise PermissionDenied("отмечать контролируемые процедуры может регион или муниципалитет школы")
    if kind not in dict(ControlledProcedure.KINDS):
        raise ValidationError(f"неизвестный вид контроля «{kind}»")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError("укажите предмет контролируемой процедуры")
    if not 1 <= int(grade) <= 11:
        raise ValidationError(f"класс {grade}: ожидается число от 1 до 11")
    proc, created = ControlledProcedure.objects.get_or_create(
        school=school,
        year=year,
        subject=subject,
        grade=grade,
        kind=kind,
        defaults={"note": note.strip(), "recorded_by": actor},
    )
    if not created:
        raise ValidationError("эта процедура с этим видом контроля уже отмечена")
    audit_record(
        action="контролируемая процедура отмечена",
        object_type="контролируемая процедура",
        object_id=str(proc.pk),
        object_repr=f"{school.school_id}, {year}, {subject} {grade} кл., {proc.get_kind_display()}",
        user=actor,
    )
    return proc


def _stats(df: pl.DataFrame, label: str) -> dict[str, Any]:
    marks = df.filter(pl.col("mark").is_not_null())
    n = marks.height
    return {
        "label": label,
        "n": n,
        "mean_mark": round(float(marks["mark"].cast(pl.Float64).mean()), 2) if n else None,
        "share_2": round(float((marks["mark"] == 2).mean()), 3) if n else None,
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}".replace(".", ",") + " %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}".replace(".", ",")


def controlled_compare(*, school: School, year: int) -> dict[str, Any]:
    """The school's ВПР results in its controlled tests of ``year`` (mean mark, share of «2») against its
    other tests of that year and against the same pupils' cohort a year earlier (grade − 1), with a plain
    conclusion; «недостаточно данных» when there is nothing to compare."""
    procs = list(ControlledProcedure.objects.filter(school=school, year=year))
    tests = sorted({(p.subject, p.grade) for p in procs})
    if not tests:
        return {"tests": [], "rows": [], "conclusion": f"{NOT_ENOUGH}: контролируемых процедур не отмечено"}
    df = (
        results_scan()
        .filter(
            (pl.col("school_id") == school.school_id)
            & pl.col("year").is_in([year, year - 1])
            & (pl.col("procedure") == "vpr")
            & ~pl.col("absent").fill_null(False)
        )
        .select(["year", "subject", "grade", "mark"])
        .collect()
    )
    key = pl.struct(pl.col("subject"), pl.col("grade").cast(pl.Int64))
    wanted = pl.Series([{"subject": s, "grade": g} for s, g in tests])
    earlier = pl.Series([{"subject": s, "grade": g - 1} for s, g in tests])
    this = df.filter(pl.col("year") == year)
    controlled = _stats(this.filter(key.is_in(wanted)), "контролируемые процедуры")
    others = _stats(this.filter(~key.is_in(wanted)), f"другие процедуры школы {year} г.")
    cohort = _stats(
        df.filter((pl.col("year") == year - 1) & key.is_in(earlier)),
        f"те же предметы годом раньше ({year - 1} г., класс на один младше)",
    )
    rows = [controlled, others, cohort]
    names = ", ".join(f"{SUBJECT_LABELS.get(s, s)} {g} кл." for s, g in tests)
    if not controlled["n"]:
        text = f"{NOT_ENOUGH}: в хранилище нет результатов контролируемых процедур ({names})"
    elif not others["n"] and not cohort["n"]:
        text = f"{NOT_ENOUGH}: не с чем сравнить — других результатов школы за {year} и {year - 1} гг. нет"
    else:
        parts = [
            f"В контролируемых процедурах ({names}) доля «2» — {_pct(controlled['share_2'])}, "
            f"средняя отметка — {_num(controlled['mean_mark'])}"
        ]
        for r in (others, cohort):
            if r["n"]:
                share, mean = _pct(r["share_2"]), _num(r["mean_mark"])
                parts.append(f"{r['label']}: доля «2» — {share}, средняя отметка — {mean}")
        text = (
            "; ".join(parts)
            + ". Это сравнение показывает различие, но само по себе не доказывает его причину."
        )
    return {"tests": [{"subject": s, "grade": g} for s, g in tests], "rows": rows, "conclusion": text}
