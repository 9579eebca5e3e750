"""What changed in the imported data around a methodology run, so that a page never silently shows a run
on data other than a person expects.

A run records the batch versions it read (``MethodologyRun.batches``). Two notices follow from it:
- the data changed after the run (a file replaced, brought back, added): the page's lists are on the
  old data until a new run is made;
- the run itself read different data than the previous run of its year (typically a replaced file):
  what people see changed because the data changed, not the method.
Only files of the run's year and earlier count (the methods read earlier years, never later ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.versions import slot_of, slot_title
from shnor.web.identification.models import MethodologyRun


@dataclass
class DataNotice:
    """One notice for the run picker: a heading, the changes a line each, and an optional comparison link."""

    kind: str  # after | before
    title: str
    changes: list[str] = field(default_factory=list)
    other_run: MethodologyRun | None = None


def _when(batch: ImportBatch) -> str:
    return f"{timezone.localtime(batch.created_at):%d.%m.%Y %H:%M}"


def _describe(old_ids: list[str], new_ids: list[str], year: int) -> list[tuple[str, str]]:
    """The changes from one set of batch versions to another: (replaced | added | removed, a Russian line)."""
    ids = set(old_ids) ^ set(new_ids)
    if not ids:
        return []
    by_id = {b.batch_id: b for b in ImportBatch.objects.filter(batch_id__in=ids)}
    removed = [by_id[i] for i in set(old_ids) - set(new_ids) if i in by_id and by_id[i].year <= year]
    added = [by_id[i] for i in set(new_ids) - set(old_ids) if i in by_id and by_id[i].year <= year]
    slots_removed = {tuple(slot_of(b).values()): b for b in removed}
    lines = []
    for b in sorted(added, key=lambda b: (b.year, b.source_name)):
        title = slot_title(procedure=b.procedure, year=b.year, subject=b.subject, grade=b.grade)
        before = slots_removed.pop(tuple(slot_of(b).values()), None)
        if before is not None:
            lines.append(
                (
                    "replaced",
                    f"{title}, файл {b.source_name}: "
                    f"версия от {_when(before)} заменена версией от {_when(b)} — "
                    f"участников {before.rows_stored} → {b.rows_stored}, школ {before.schools} → {b.schools}",
                )
            )
        else:
            lines.append(
                (
                    "added",
                    f"{title}, файл {b.source_name}: добавлен ({b.rows_stored} участников, {b.schools} школ)",
                )
            )
    for b in sorted(slots_removed.values(), key=lambda b: (b.year, b.source_name)):
        title = slot_title(procedure=b.procedure, year=b.year, subject=b.subject, grade=b.grade)
        lines.append(
            ("removed", f"{title}, файл {b.source_name}: больше не действует ({b.rows_stored} участников)")
        )
    return lines


def run_data_notices(run: MethodologyRun | None) -> list[DataNotice]:
    """The notices for a run shown on a page (none when its data are what is live and what came before)."""
    if run is None:
        return []
    notices = []
    live = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE).values_list("batch_id", flat=True))
    after = _describe(run.batches or [], live, run.year)
    if after:
        notices.append(
            DataNotice(
                "after",
                "После этого расчёта загруженные данные изменились; "
                "показанные результаты рассчитаны по прежним данным. "
                "Чтобы учесть изменения, запустите новый расчёт.",
                [line for _kind, line in after],
            )
        )
    previous = (
        MethodologyRun.objects.filter(
            status=MethodologyRun.DONE, year=run.year, started_at__lt=run.started_at
        )
        .order_by("-started_at", "-id")
        .first()
    )
    if previous is not None:
        before = [
            line
            for kind, line in _describe(previous.batches or [], run.batches or [], run.year)
            if kind != "added"  # a new file is new data, not changed data
        ]
        if before:
            notices.append(
                DataNotice(
                    "before",
                    f"Этот расчёт выполнен на данных, изменённых после предыдущего расчёта № {previous.pk} "
                    f"за {run.year} год: списки могли измениться из-за данных, а не из-за методики.",
                    before,
                    previous,
                )
            )
    return notices


__all__ = ["DataNotice", "run_data_notices"]
