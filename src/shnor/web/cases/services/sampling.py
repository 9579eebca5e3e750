"""A proposed sample of works to re-check: the flagged schools and a control group of schools without
signs, from the participants of the year's tests in the warehouse; and its XLSX for the experts."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError

from shnor.core.labels import SUBJECT_LABELS
from shnor.web.accounts.scope import User, scope_of
from shnor.web.assessments.selectors import results_scan
from shnor.web.identification.membership import basis_of, members
from shnor.web.identification.models import MethodologyRun
from shnor.web.registry.models import School

#: Russian headers of the sample's columns; others keep their name.
SAMPLE_HEADERS = {
    "school_id": "Логин ОО",
    "school_name": "Школа",
    "municipality": "Муниципалитет",
    "year": "Год",
    "subject": "Предмет",
    "grade": "Класс",
    "n": "Участников",
    "participants": "Участников",
    "stratum": "Страта",
    "group": "Группа",
    "works_to_recheck": "Работ на перепроверку",
    "positions": "Номера работ в списке (по порядку)",
}
#: The groups as the sample names them: «проверяемая» (schools with signs) and «контрольная».
GROUP_LABELS = {"проверяемая": "проверяемая (с признаками)", "контрольная": "контрольная (без признаков)"}


def _participants(year: int, school_ids: list[str]) -> pl.DataFrame:
    return (
        results_scan()
        .filter(
            (pl.col("year") == year)
            & (pl.col("procedure") == "vpr")
            & ~pl.col("absent").fill_null(False)
            & pl.col("school_id").is_in(school_ids)
        )
        .group_by(["school_id", "year", "subject", "grade"])
        .agg(pl.len().alias("n"))
        .sort(["school_id", "subject", "grade"])
        .collect()
    )


def sample_propose(
    *,
    actor: User,
    year: int,
    run: MethodologyRun | None,
    control_share_expected: float = 0.1,
    margin: float = 0.05,
    per_school_max: int = 20,
    seed: int = 0,
) -> Any:
    """The works to re-check in ``year``: schools on the objectivity list (approved, else ``run``'s) and a
    control group, sized for ``margin`` on the control's share of changed scores (``recheck_sample``)."""
    from shnor.core.methods.recheck_sampling import recheck_sample

    if not scope_of(actor).region_wide:
        raise PermissionDenied("выборку для перепроверки предлагает регион")
    if not 0 < control_share_expected < 1:
        raise ValidationError("ожидаемая доля изменённых работ в контрольной группе — число от 0 до 1")
    if not 0 < margin < 0.5:
        raise ValidationError("точность (допустимая погрешность) — число от 0 до 0,5")
    if per_school_max < 1:
        raise ValidationError("работ на школу — хотя бы одна")
    schools = School.objects.visible_to(actor)
    ids = dict(schools.values_list("pk", "school_id"))
    flagged = {ids[pk] for pk in members(basis_of(kind="objectivity", run=run, year=year), schools)}
    participants = _participants(year, list(ids.values()))
    if participants.is_empty():
        raise ValidationError(f"в хранилище нет результатов ВПР {year} г.: выборку не из чего составить")
    strata = dict(schools.values_list("school_id", "municipality__name"))
    participants = participants.with_columns(
        pl.col("school_id").replace_strict(strata, default="", return_dtype=pl.String).alias("stratum")
    )
    try:
        return recheck_sample(
            participants,
            sorted(flagged),
            control_share_expected=control_share_expected,
            margin=margin,
            per_school_max=per_school_max,
            seed=seed,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _cell(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return v


def sample_xlsx(result: Any, *, year: int) -> bytes:
    """The sample as an XLSX for the experts: one row per school and test, Russian headers, the
    explanation of how it was sized on the first rows."""
    df: pl.DataFrame = result.schools
    names = dict(
        School.objects.filter(
            school_id__in=df["school_id"].unique().to_list() if df.height else []
        ).values_list("school_id", "name")
    )
    cols = list(df.columns)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("Выборка")
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.merge_range(0, 0, 0, max(len(cols), 3), f"Выборка работ ВПР {year} г. для перепроверки", bold)
    sheet.merge_range(1, 0, 1, max(len(cols), 3), str(result.explanation), wrap)
    sheet.set_row(1, 90)
    headers = ["Школа", *[SAMPLE_HEADERS.get(c, c) for c in cols]]
    for j, h in enumerate(headers):
        sheet.write(3, j, h, bold)
    for i, r in enumerate(df.iter_rows(named=True), start=4):
        sheet.write(i, 0, names.get(r.get("school_id"), ""))
        for j, c in enumerate(cols, start=1):
            v = r[c]
            if c == "group":
                v = GROUP_LABELS.get(str(v), v)
            elif c == "subject":
                v = SUBJECT_LABELS.get(str(v), v)
            sheet.write(i, j, _cell(v))
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, len(cols), 14)
    sheet.freeze_panes(4, 0)
    book.close()
    return buf.getvalue()
