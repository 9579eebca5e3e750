"""Console helpers shared by the ``shnor`` commands and the benchmarks: Django set-up, errors, progress."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

#: errors, warnings and progress bars (stderr)
err = Console(stderr=True)
#: summaries (stdout)
out = Console()


def django_setup() -> None:
    """Configure Django, apply migrations (zero set-up) and load the shipped reference data."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shnor.web.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from shnor.web.assessments.services import reference_ensure_shipped

    reference_ensure_shipped()


def fail(message: str, code: int = 2) -> None:
    """Print a Russian error message and exit non-zero."""
    err.print(f"[bold red]Ошибка:[/] {message}", highlight=False)
    sys.exit(code)


def run_imports(files: Iterable[Path], label: str, one: Callable[..., Any]) -> None:
    """Import files one by one with a progress bar, print each summary, exit non-zero if any was rejected."""
    from shnor.core.config import ConfigError
    from shnor.core.ingest.errors import IngestError

    files = list(files)
    outcomes = []
    problems = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=len(files))
        for path in files:

            def step(stage: str, path: Path = path) -> None:
                bar.update(task, description=f"{label}: {path.name} — {stage}")

            try:
                outcome = one(path=path, progress=step)
            except (IngestError, ConfigError) as exc:
                err.print(f"[bold red]Ошибка:[/] {exc}", highlight=False)
                problems += 1
                bar.advance(task)
                continue
            outcomes.append(outcome)
            style = "red" if not outcome.ok else ("yellow" if outcome.errors else "green")
            out.print(f"[{style}]{outcome.summary}[/]", highlight=False, soft_wrap=True)
            for w in outcome.warnings:
                err.print(f"[yellow]Предупреждение:[/] {w}", highlight=False, soft_wrap=True)
            if outcome.diff is not None:
                for line in outcome.diff.lines():
                    err.print(f"  {line}", highlight=False, soft_wrap=True)
            if outcome.status == "rejected":
                for e in outcome.errors[:10]:
                    err.print(f"  {e}", highlight=False, soft_wrap=True)
                if len(outcome.errors) > 10:
                    err.print(
                        f"  … и ещё {len(outcome.errors) - 10}; полный список в отчёте: {outcome.report}",
                        highlight=False,
                    )
            if not outcome.ok:
                problems += 1
            bar.advance(task)
    stored = sum(o.status in ("stored", "replaced") for o in outcomes)
    same = sum(o.status == "unchanged" for o in outcomes)
    refused = sum(o.status == "refused" for o in outcomes)
    out.print(
        f"Итого файлов: {len(files)}; загружено: {stored}; без изменений: {same}; "
        f"с ошибкой: {problems - refused}" + (f"; не заменено без --replace: {refused}" if refused else ""),
        highlight=False,
    )
    if problems:
        sys.exit(1)


def spinner() -> Progress:
    """A transient spinner with elapsed time on stderr, for one stage of unknown length."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


__all__ = ["django_setup", "err", "fail", "out", "run_imports", "spinner"]
