"""The ``shnor`` console script: thin commands over the services the web application uses.

Console helpers live in ``shnor.console``; commands from other packages of the distribution (the
benchmarks, ``shnor bench`` and ``shnor loadtest``) are found through the ``shnor.commands`` entry points.
"""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import click

from shnor.console import django_setup, err, fail, out, run_imports, spinner

#: The entry-point group other packages declare their ``shnor`` sub-commands in.
COMMANDS_GROUP = "shnor.commands"


class ShnorGroup(click.Group):
    """The ``shnor`` group: its own commands, then those declared under ``shnor.commands``, loaded on use."""

    def _declared(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=COMMANDS_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Own and declared command names, sorted."""
        return sorted({*super().list_commands(ctx), *self._declared()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """An own command, else a declared one (imported only now)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        declared = self._declared().get(cmd_name)
        if declared is None:
            return None
        command = declared.load()
        self.add_command(command, cmd_name)
        return command


@click.group(cls=ShnorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shnor")
def main() -> None:
    """shnor — выявление и сопровождение ШНОР, ШНСУ и школ с признаками необъективности результатов.

    Папка данных задаётся переменной SHNOR_HOME (по умолчанию ./var).
    """


@main.group("import")
def import_group() -> None:
    """Загрузка файлов: результатов ВПР, РДР и ГИА, реестра, контекста, шкал и спецификаций."""


FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
REPLACE = click.option(
    "--replace",
    is_flag=True,
    help=(
        "Заменить действующую версию файла с тем же именем (или вернуть прежнюю); "
        "без ключа замена отклоняется."
    ),
)
MAX_REJECTED = click.option(
    "--max-rejected",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Доля отклонённых строк, при которой файл не загружается целиком.",
)


@import_group.command("vpr")
@FILES
@click.option("--year", type=int, help="Год ВПР (иначе из имени файла).")
@click.option("--subject", type=str, help="Код предмета: ru, ma, … (иначе из имени файла).")
@click.option("--grade", type=int, help="Класс (иначе из имени файла).")
@MAX_REJECTED
@REPLACE
def import_vpr(
    files: tuple[Path, ...],
    year: int | None,
    subject: str | None,
    grade: int | None,
    max_rejected: float,
    replace: bool,
) -> None:
    """Результаты ВПР по ученикам в выгрузках ФИС ОКО (форматы 2020, 2021, 2022)."""
    django_setup()
    from shnor.web.assessments.services import vpr_file_import

    run_imports(
        files,
        "ВПР",
        lambda path, progress: vpr_file_import(
            path=path,
            year=year,
            subject=subject,
            grade=grade,
            max_rejected=max_rejected,
            replace=replace,
            progress=progress,
        ),
    )


@import_group.command("gia")
@FILES
@MAX_REJECTED
@REPLACE
def import_gia(files: tuple[Path, ...], max_rejected: float, replace: bool) -> None:
    """Результаты ОГЭ и ЕГЭ по ученикам (gia.csv)."""
    django_setup()
    from shnor.web.assessments.services import gia_file_import

    run_imports(
        files,
        "ГИА",
        lambda path, progress: gia_file_import(
            path=path, max_rejected=max_rejected, replace=replace, progress=progress
        ),
    )


@import_group.command("rdr")
@FILES
@click.option("--year", type=int, help="Год РДР (иначе из имени файла: rdr_2025_ma7…).")
@click.option("--subject", type=str, help="Код предмета: ru, ma, … (иначе из имени файла).")
@click.option("--grade", type=int, help="Класс (иначе из имени файла).")
@MAX_REJECTED
@REPLACE
def import_rdr(
    files: tuple[Path, ...],
    year: int | None,
    subject: str | None,
    grade: int | None,
    max_rejected: float,
    replace: bool,
) -> None:
    """Региональные диагностические работы (РДР) по ученикам в формате выгрузки ВПР, с отметкой."""
    django_setup()
    from shnor.web.assessments.services import rdr_file_import

    run_imports(
        files,
        "РДР",
        lambda path, progress: rdr_file_import(
            path=path,
            year=year,
            subject=subject,
            grade=grade,
            max_rejected=max_rejected,
            replace=replace,
            progress=progress,
        ),
    )


@import_group.command("schools")
@FILES
@MAX_REJECTED
def import_schools(files: tuple[Path, ...], max_rejected: float) -> None:
    """Реестр школ (schools.csv)."""
    django_setup()
    from shnor.web.assessments.inputs import registry_import

    run_imports(
        files,
        "Реестр",
        lambda path, progress: registry_import(
            kind="schools", path=path, max_rejected=max_rejected, progress=progress
        ),
    )


@import_group.command("context")
@FILES
@MAX_REJECTED
def import_context(files: tuple[Path, ...], max_rejected: float) -> None:
    """Контекстные показатели школ по годам (context.csv)."""
    django_setup()
    from shnor.web.assessments.inputs import registry_import

    run_imports(
        files,
        "Контекст",
        lambda path, progress: registry_import(
            kind="context", path=path, max_rejected=max_rejected, progress=progress
        ),
    )


@import_group.command("scales")
@FILES
def import_scales(files: tuple[Path, ...]) -> None:
    """Шкалы перевода первичных баллов в отметки (scales.csv)."""
    django_setup()
    from shnor.web.assessments.services import scales_file_import

    run_imports(files, "Шкалы", lambda path, progress: scales_file_import(path=path))


@import_group.command("tasks")
@FILES
@click.option("--year", type=int, help="Год (для спецификации ФИС ОКО, если его нет в имени файла).")
@click.option("--subject", type=str, help="Код предмета (для спецификации ФИС ОКО).")
@click.option("--grade", type=int, help="Класс (для спецификации ФИС ОКО).")
def import_tasks(files: tuple[Path, ...], year: int | None, subject: str | None, grade: int | None) -> None:
    """Спецификации заданий (tasks.csv или XLSX спецификации ФИС ОКО)."""
    django_setup()
    from shnor.web.assessments.services import tasks_file_import

    run_imports(
        files,
        "Спецификации",
        lambda path, progress: tasks_file_import(path=path, year=year, subject=subject, grade=grade),
    )


@import_group.command("fioko-list")
@FILES
@click.option(
    "--kind",
    type=click.Choice(["objectivity", "low_results"]),
    help="Вид списка: признаки необъективности или ШНОР (иначе по файлу).",
)
@click.option("--year", type=int, help="Год списка (иначе из столбца «Год» или имени файла).")
def import_fioko_list(files: tuple[Path, ...], kind: str | None, year: int | None) -> None:
    """Списки ФИОКО: школы с признаками необъективности результатов ВПР, школы с низкими результатами."""
    django_setup()
    from shnor.web.identification.fioko_lists import fioko_list_import

    run_imports(
        files,
        "Списки ФИОКО",
        lambda path, progress: fioko_list_import(path=path, kind=kind, year=year),
    )


@main.group("lists")
def lists_group() -> None:
    """Списки региона (ШНОР, ШНСУ, необъективность, ФИОКО): проект и утверждённые версии."""


@lists_group.command("export")
@click.option(
    "--kind",
    type=click.Choice(["low_results", "social_risk", "objectivity", "fioko"]),
    required=True,
    help="Список.",
)
@click.option("--year", type=int, required=True, help="Год списка.")
@click.option("--version", "number", type=int, help="Номер версии (иначе утверждённая, а без неё — проект).")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Файл CSV."
)
def lists_export(kind: str, year: int, number: int | None, out_file: Path) -> None:
    """Список за год в CSV: school_id, name, municipality, source, included, reason, status, version."""
    django_setup()
    import csv

    from django.core.exceptions import ValidationError

    from shnor.web.identification.decisions import export_rows
    from shnor.web.identification.membership import LISTS

    try:
        rows = export_rows(kind=kind, year=year, number=number)
    except ValidationError as exc:
        fail("; ".join(exc.messages))
        return
    columns = ["school_id", "name", "municipality", "source", "included", "reason", "status", "version"]
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with open(out_file, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "included": "true" if r["included"] else "false"})
    included = sum(1 for r in rows if r["included"])
    state = {"draft": "проект", "approved": "утверждён"}.get(str(rows[0]["status"]), "") if rows else ""
    version = rows[0]["version"] if rows else number
    out.print(
        f"Список «{LISTS[kind].short}» за {year} (версия {version}, {state}): школ {len(rows)}, "
        f"включено {included} → {out_file}",
        highlight=False,
        soft_wrap=True,
    )


@main.command("identify")
@click.option("--year", type=int, required=True, help="Год, за который выявляются школы.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Файл настроек методики региона (TOML) поверх поставляемых по умолчанию.",
)
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Папка для файлов результатов."
)
@click.option("--label", default="", help="Название расчёта (для сравнения расчётов).")
def identify(year: int, config_path: Path | None, out_dir: Path | None, label: str) -> None:
    """Все методики за год: маркеры ФИОКО, признаки необъективности, ШНОР, ШНСУ, варианты сопровождения."""
    django_setup()
    from shnor.core.config import ConfigError
    from shnor.web.assessments.selectors import batches_live
    from shnor.web.identification.services import methodology_run_create

    if not any(b.year <= year for b in batches_live()):
        fail(f"нет загруженных результатов за {year} год и ранее: сначала выполните shnor import vpr …", 1)
    with spinner() as bar:
        task = bar.add_task("Расчёт", total=None)
        try:
            run, frames = methodology_run_create(
                year=year,
                config_path=config_path,
                out_dir=out_dir,
                label=label,
                progress=lambda stage: bar.update(task, description=f"Расчёт {year}: {stage}"),
                keep_evidence=False,
            )
        except ConfigError as exc:
            fail(str(exc))
            return
    s = run.summary
    idx = [
        f"{r.get('objectivity_index'):.1f}"
        for r in s.get("objectivity_index", [])
        if r.get("objectivity_index") is not None
    ]
    out.print(
        f"Расчёт №{run.pk} за {year} (настройки {run.config_digest[:12]}): "
        f"школ с результатами {s['schools_with_results']}; "
        f"маркеры ФИОКО у {s['fioko_marked_schools']} школ"
        f"{' (индекс объективности ' + ', '.join(idx) + ')' if idx else ''}; "
        f"признаки необъективности у {s['objectivity_flagged']}; ШНОР {s['low_results']} "
        f"(в списке риска {s['risk_list']}); ШНСУ {s['social_risk']}; "
        f"дефициты умений в {s.get('schools_with_deficits', 0)} школах"
        f"{'; файлы: ' + str(out_dir) if out_dir else ''}",
        highlight=False,
        soft_wrap=True,
    )


@main.command("demo")
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Зерно генератора: тот же регион при том же зерне."
)
@click.option("--size", type=click.Choice(["municipality", "region"]), default="region", show_default=True)
def demo(seed: int, size: str) -> None:
    """Демо-регион: генерация, загрузка, расчёт всех методик, демо-пользователи для каждой роли."""
    django_setup()
    from shnor.web.demo import demo_region_load

    with spinner() as bar:
        task = bar.add_task("Демо", total=None)
        report = demo_region_load(
            seed=seed, size=size, progress=lambda m: bar.update(task, description=f"Демо: {m}")
        )
    bad = [o for o in report.outcomes if not o.ok]
    for o in bad:
        err.print(f"[red]{o.summary}[/]", highlight=False, soft_wrap=True)
    last = report.runs[-1]
    out.print(
        f"Демо-регион (зерно {seed}): файлы и эталон в {report.folder}; загружено файлов "
        f"{sum(o.ok for o in report.outcomes)} из {len(report.outcomes)}; расчёты за "
        f"{', '.join(str(r.year) for r in report.runs)}; за {last.year}: ШНОР {last.summary['low_results']}, "
        f"ШНСУ {last.summary['social_risk']}, признаки необъективности {last.summary['objectivity_flagged']}",
        highlight=False,
        soft_wrap=True,
    )
    out.print("Вход в веб-приложение (shnor serve → http://127.0.0.1:8000/):", highlight=False)
    for username, password, role in report.users:
        out.print(f"  {role}: логин [bold]{username}[/], пароль [bold]{password}[/]", highlight=False)
    if bad:
        sys.exit(1)


@main.command("backup")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False))
def backup(archive: Path) -> None:
    """Резервная копия базы данных и хранилища результатов в один архив .tar.gz."""
    django_setup()
    from shnor.web.backup import BackupError, backup_create

    try:
        info = backup_create(path=archive)
    except BackupError as exc:
        fail(str(exc))
        return
    out.print(
        f"Резервная копия: {info.path} — объектов базы {info.objects}, загрузок результатов {info.batches}"
        " (архив содержит ключ псевдонимов: храните его как персональные данные)",
        highlight=False,
    )


@main.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения: текущие данные будут заменены.")
def restore(archive: Path, yes: bool) -> None:
    """Восстановление базы данных и хранилища из архива (текущие данные заменяются)."""
    django_setup()
    from shnor.web.backup import BackupError, backup_restore

    if not yes and not click.confirm(
        "Текущие данные будут заменены данными архива. Продолжить?", default=False
    ):
        fail("восстановление отменено", 1)
    try:
        info = backup_restore(path=archive)
    except BackupError as exc:
        fail(str(exc))
        return
    out.print(
        f"Восстановлено из {info.path}: объектов базы {info.objects}, загрузок результатов {info.batches}",
        highlight=False,
    )


@main.command("worker")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Пауза между опросами очереди, с."
)
@click.option("--batch", is_flag=True, help="Выполнить задачи из очереди и завершиться.")
def worker(interval: float, batch: bool) -> None:
    """Обработчик фоновых задач (загрузки и расчёты, запущенные из браузера)."""
    django_setup()
    from django.core.management import call_command

    from shnor.serving import uploads_cleanup_once, uploads_cleanup_thread
    from shnor.web.jobs.cleanup import CLEANUP_EVERY_SECONDS

    out.print(
        "Обработчик фоновых задач запущен" + (" (до пустой очереди)" if batch else " (остановка — Ctrl+C)"),
        highlight=False,
    )

    def report(line: str) -> None:
        out.print(line, highlight=False)

    # old browser uploads of finished jobs: removed now and, while the worker runs, every hour
    if batch:
        uploads_cleanup_once(report)
    else:
        uploads_cleanup_thread(CLEANUP_EVERY_SECONDS, report)
    call_command("db_worker", interval=interval, batch=batch, no_startup_delay=True, verbosity=0)


@main.command("serve")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--dev", is_flag=True, help="Сервер разработки Django вместо gunicorn.")
@click.option("--no-open", is_flag=True, help="Не открывать браузер.")
@click.option("--no-worker", is_flag=True, help="Не запускать обработчик фоновых задач рядом с сервером.")
def serve(port: int, dev: bool, no_open: bool, no_worker: bool) -> None:
    """Веб-приложение на http://127.0.0.1:PORT под gunicorn (и обработчик фоновых задач рядом)."""
    django_setup()
    import threading
    import webbrowser

    from shnor.serving import (
        gunicorn_command,
        runserver_command,
        static_collect,
        supervise,
        uploads_cleanup_once,
        worker_command,
    )

    uploads_cleanup_once(lambda line: out.print(line, highlight=False))
    static_collect(lambda line: out.print(line, highlight=False))  # hashed, compressed; only when changed
    url = f"http://127.0.0.1:{port}/"
    server = "сервер разработки Django" if dev else "gunicorn"
    out.print(f"Веб-приложение: {url} ({server}; остановка — Ctrl+C)", highlight=False)

    def opened() -> None:
        if not no_open and sys.stdout.isatty():
            threading.Timer(1.5, lambda: webbrowser.open(url)).start()

    code = supervise(
        runserver_command(port) if dev else gunicorn_command(port),
        [] if no_worker else [worker_command()],
        on_start=opened,
    )
    if code:
        fail(f"веб-сервер завершился с кодом {code} (занят порт {port}?)", code if code > 0 else 1)
    out.print("Веб-приложение остановлено", highlight=False)


__all__ = ["django_setup", "err", "fail", "main", "out", "run_imports"]

if __name__ == "__main__":  # pragma: no cover
    main()
