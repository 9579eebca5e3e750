"""Writes for identification: a methodology run over everything imported, stored with its settings.

The year's methods run in ``core.pipeline.identify``; this module creates the run, reads the inputs and
the list history from the database, stores each result as the pipeline hands it over (``store.py``)
and saves the summary and the output files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import polars as pl
from django.utils import timezone

from shnor.core.config import config_digest, load_config
from shnor.core.memory import release_memory
from shnor.core.methods.base import Inputs
from shnor.core.pipeline import identify
from shnor.core.reports.identify_outputs import write_outputs
from shnor.web.assessments.selectors import batches_live, results_scan, scales_frame, tasks_frame
from shnor.web.identification.history import list_history
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.store import OutcomeSink
from shnor.web.identification.writer import OutcomeWriter
from shnor.web.registry.selectors import context_frame, schools_frame

Progress = Callable[[str], None]


def methodology_run_create(
    *,
    year: int,
    config_path: Path | None = None,
    out_dir: Path | None = None,
    label: str = "",
    progress: Progress | None = None,
    keep_evidence: bool = True,
) -> tuple[MethodologyRun, dict[str, pl.DataFrame]]:
    """Run every method for ``year`` on what has been imported, store the run, and write the output files.

    The methods run in ``core.pipeline.identify``; each method's outcomes are stored as soon as they
    are made, by an ``OutcomeWriter`` (in a thread of its own while the next method computes; a run's
    outcomes are seen only once it is done). With
    ``keep_evidence=False`` and no ``out_dir`` objectivity hands its outcomes over in parts, each
    stored while the next is made, and its evidence — gigabytes for a country year — is never held at
    once: the returned objectivity frame has no ``evidence`` column."""
    say = progress or (lambda _m: None)
    config = load_config(config_path)
    run = MethodologyRun.objects.create(
        year=year,
        label=label,
        config=config,
        config_digest=config_digest(config),
        config_source=str(config_path or "поставка по умолчанию"),
        batches=[b.batch_id for b in batches_live()],
    )
    try:
        inputs = Inputs(
            year=year,
            results=results_scan(),
            tasks=tasks_frame(),
            scales=scales_frame(),
            schools=schools_frame(),
            context=context_frame(),
        )
        history = list_history(before_year=year)
        sink: OutcomeSink | None = None
        try:
            with OutcomeWriter() as writer:  # (leaving it waits for the parts to be stored)
                sink = OutcomeSink(run, writer)
                done = identify(
                    inputs,
                    config,
                    history=history,
                    sink=sink,
                    progress=say,
                    keep_evidence=keep_evidence or out_dir is not None,
                )
                say("ожидание записи результатов")
        finally:
            if sink is not None:
                sink.close()  # (its process that turned objectivity's parts)
        release_memory()
        frames = done.frames
        run.summary = done.summary
        run.status = MethodologyRun.DONE
        run.finished_at = timezone.now()
        run.save()
        if out_dir is not None:
            say("запись файлов")
            write_outputs(Path(out_dir), frames)
    except BaseException as exc:
        with contextlib.suppress(Exception):  # never seen (not done), but not left behind either
            SchoolOutcome.objects.filter(run=run).delete()
        run.status = MethodologyRun.FAILED
        run.error = f"{exc.__class__.__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    return run, frames
