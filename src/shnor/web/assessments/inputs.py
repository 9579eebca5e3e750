"""The files a region loads (from the browser and the command line) and the registry imports' «unchanged».

``INPUTS`` names every input the import page offers. The registry of schools and the yearly context are
imported by the registry's own services; ``registry_import`` runs them inside one transaction and
compares what they touch before and after, so that loading the same file twice says «ничего не
изменено» as the result files do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from shnor.web.outcome import ImportOutcome
from shnor.web.registry.models import Municipality, Region, School, SchoolContext
from shnor.web.registry.services import context_file_import, schools_file_import


@dataclass(frozen=True)
class Input:
    """One kind of file the import page takes."""

    code: str
    title: str  # the card's heading
    file_label: str  # the file field's label
    help: str  # what the file holds
    targeted: bool = False  # year, subject and grade asked (else from the file name)


INPUTS: dict[str, Input] = {
    i.code: i
    for i in (
        Input(
            "vpr",
            "Результаты ВПР",
            "Файл ВПР (XLSX или CSV из ФИС ОКО)",
            "Выгрузка результатов по ученикам из ФИС ОКО в любом из трёх форматов (2020, 2021, 2022).",
            targeted=True,
        ),
        Input(
            "rdr",
            "Региональные диагностические работы (РДР)",
            "Файл РДР (XLSX или CSV)",
            "Результаты по ученикам в формате выгрузки ВПР: логин школы, класс, код ученика, вариант, "
            "баллы за задания, сумма баллов и отметка. Хранятся отдельно от ВПР.",
            targeted=True,
        ),
        Input(
            "gia",
            "Результаты ГИА (ОГЭ и ЕГЭ)",
            "Файл ГИА (XLSX или CSV)",
            "По ученикам: год, экзамен, логин школы, предмет, код ученика, первичный балл, тестовый балл, "
            "отметка, признак «ниже минимального порога».",
        ),
        Input(
            "schools",
            "Реестр школ",
            "Реестр школ (XLSX или CSV)",
            "Логин школы, название, муниципалитет и регион (код и название), вид, местность, число "
            "обучающихся, малокомплектность, координаты, сайт. Школы добавляются или обновляются.",
        ),
        Input(
            "context",
            "Контекстные данные школ за год (социальный мониторинг)",
            "Файл контекстных данных (XLSX или CSV)",
            "Год, логин школы и доли (в процентах или долях единицы) и признаки социального мониторинга; "
            "запись школы за год заменяется.",
        ),
    )
}


def _schools_state() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in School._meta.concrete_fields]
    return [
        *School.objects.order_by("pk").values_list(*fields),
        *Municipality.objects.order_by("pk").values_list("code", "name", "region_id"),
        *Region.objects.order_by("pk").values_list("code", "name"),
    ]


def _context_state() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in SchoolContext._meta.concrete_fields]
    return list(SchoolContext.objects.order_by("pk").values_list(*fields))


_REGISTRY: dict[str, tuple[Callable[..., ImportOutcome], Callable[[], list[tuple[Any, ...]]], str]] = {
    "schools": (schools_file_import, _schools_state, "реестр школ"),
    "context": (context_file_import, _context_state, "контекстные данные"),
}


def registry_import(
    *, kind: str, path: Path, max_rejected: float = 0.05, progress: Callable[[str], None] | None = None
) -> ImportOutcome:
    """Import a registry (``schools``) or context (``context``) file with the registry's service, all or
    nothing; a file whose every record is already stored is reported as «unchanged»."""
    importer, state, what = _REGISTRY[kind]
    (progress or (lambda _m: None))("проверка и запись")
    path = Path(path)
    with transaction.atomic():
        before = state()
        outcome = importer(path=path, max_rejected=max_rejected)
        if outcome.status == "stored" and state() == before:
            outcome.status = "unchanged"
            outcome.summary = f"{path.name}: {what} — все записи файла уже загружены, ничего не изменено" + (
                f"; отчёт об ошибках: {outcome.report}" if outcome.report else ""
            )
    return outcome


__all__ = ["INPUTS", "Input", "registry_import"]
