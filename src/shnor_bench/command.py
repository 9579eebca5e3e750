"""``shnor bench`` and ``shnor loadtest``: declared to ``shnor`` under the ``shnor.commands`` entry points."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
from rich.table import Table


def _prepare_home() -> tuple[Path, Path]:
    """(cache folder for generated data, work folder); standalone runs get a fresh work SHNOR_HOME.

    Generated data are cached under ``SHNOR_HOME/bench/data``. When Django is not configured yet (the
    command run from a shell) the benchmark works in its own ``SHNOR_HOME/bench/work`` — a new SQLite
    database and warehouse each run, so the user's data are never touched and imports are really
    timed. Inside an already configured Django (tests) the configured database and HOME are used.
    """
    from django.conf import settings

    from shnor.core.store.home import shnor_home

    if settings.configured:
        home = Path(settings.HOME)
        return home / "bench" / "data", home
    home = shnor_home()
    work = home / "bench" / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.environ["SHNOR_HOME"] = str(work)
    os.environ.pop("DATABASE_URL", None)  # always the bench's own SQLite database
    return home / "bench" / "data", work


@click.command("bench")
@click.option(
    "--size",
    type=click.Choice(["municipality", "region", "country"]),
    default="country",
    show_default=True,
    help="Размер синтетических данных: country ≈ 40 000 школ и 15 млн результатов ВПР за год.",
)
@click.option(
    "--years",
    type=click.IntRange(1, 3),
    default=1,
    show_default=True,
    help="Сколько лет (по 2024 включительно): 2–3 года задействуют методики, которым нужны прошлые годы.",
)
@click.option("--seed", type=int, default=2024, show_default=True, help="Зерно генератора.")
@click.option(
    "--schools",
    "n_schools",
    type=click.IntRange(2, None),
    default=None,
    help="Число школ вместо предустановленного размером (для быстрых проверок).",
)
@click.option("--no-pandas", is_flag=True, help="Не считать сравнение с pandas.")
@click.option("--no-duckdb", is_flag=True, help="Не считать сравнение с DuckDB.")
@click.option(
    "--out",
    "out_md",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Записать таблицу в Markdown-файл (например docs/benchmarks.md).",
)
def bench(
    size: str,
    years: int,
    seed: int,
    n_schools: int | None,
    no_pandas: bool,
    no_duckdb: bool,
    out_md: Path | None,
) -> None:
    """Замер на масштабе страны: генерация (с кэшем), импорт, все методики, сравнение с pandas и DuckDB."""
    from shnor import console
    from shnor_bench.country import Plan, fmt_table, run_bench

    cache, work = _prepare_home()
    console.django_setup()
    plan = Plan(
        size=size, years=years, seed=seed, n_schools=n_schools, pandas=not no_pandas, duckdb=not no_duckdb
    )
    report = run_bench(
        plan,
        cache,
        say=lambda m: (
            console.err.print(f"[dim]… {m}[/]", highlight=False) if console.err.is_terminal else None
        ),
    )
    table = Table(
        title=f"shnor bench --size {size} --years {years}: {_n(report.rows)} строк ВПР "
        f"({_n(report.present)} участников), {_n(report.schools)} школ"
    )
    for col, just in (
        ("этап", "left"),
        ("с", "right"),
        ("ЦП, с", "right"),
        ("пик RSS, МБ", "right"),
        ("примечание", "left"),
    ):
        table.add_column(col, justify=just)
    for row in fmt_table(report):
        table.add_row(*row)
    console.out.print(table, width=120)
    ident = next(s for s in report.stages if s.name.startswith("identify"))
    peak = _n(round(report.peak_mb))
    line = f"Итого: identify {ident.seconds:.1f} с, пик RSS процесса {peak} МБ"
    if report.ratio is not None:
        line += (
            f"; агрегаты: Polars {report.polars_s:.2f} с, pandas {report.pandas_s:.2f} с — "
            f"ускорение ×{report.ratio:.1f}; "
            f"совпадение: {'да' if report.agree else 'НЕТ'} ({report.agreement})"
        )
    if report.duckdb_ratio is not None:
        line += (
            f"; агрегаты DuckDB {report.duckdb_s:.2f} с — DuckDB/Polars ×{report.duckdb_ratio:.2f}; "
            f"совпадение с DuckDB: {'да' if report.duckdb_agree else 'НЕТ'} ({report.duckdb_agreement})"
        )
    console.out.print(line, highlight=False, soft_wrap=True)
    if out_md is not None:
        out_md.parent.mkdir(parents=True, exist_ok=True)
        out_md.write_text(markdown(report, f"shnor bench --size {size} --years {years}"), encoding="utf-8")
    if "error" in report.summary:
        console.fail(f"расчёт по методикам завершился ошибкой: {report.summary['error']}", 1)
    if report.agree is False:
        console.fail("агрегаты Polars и pandas не совпали", 1)
    if report.duckdb_agree is False:
        console.fail("агрегаты Polars и DuckDB не совпали", 1)
    del work


@click.command("loadtest")
@click.option("--sessions", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--seconds", type=click.FloatRange(1, 600), default=60, show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 16), default=3, show_default=True, help="Процессов gunicorn."
)
@click.option(
    "--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Потоков в процессе gunicorn."
)
@click.option("--port", type=int, default=8811, show_default=True)
@click.option("--size", type=click.Choice(["municipality", "region"]), default="region", show_default=True)
@click.option("--reuse", is_flag=True, help="Не строить демо-регион заново (он уже загружен в эту базу).")
@click.option(
    "--think",
    type=(float, float),
    default=(1.0, 3.0),
    show_default=True,
    help="Пауза пользователя между запросами, от и до, с (0 0 — тест на насыщение).",
)
def loadtest(
    sessions: int,
    seconds: float,
    workers: int,
    threads: int,
    port: int,
    size: str,
    reuse: bool,
    think: tuple[float, float],
) -> None:
    """Нагрузочный тест веб-приложения под gunicorn на 127.0.0.1 (база — DATABASE_URL или SQLite)."""
    import subprocess
    import sys
    import time
    import urllib.request

    from shnor import console

    console.django_setup()
    from shnor.web.demo import demo_users_create
    from shnor_bench.loadtest import run_load

    if not reuse:
        from shnor.web.demo import demo_region_load

        console.err.print("Построение демо-региона…", highlight=False)
        demo_region_load(seed=1, size=size)
    password = "load-" + os.urandom(6).hex()
    demo_users_create(password=password)
    # the production defaults (shnor.web.gunicorn_conf: no control socket in ~/.gunicorn),
    # sized by the options
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "shnor.web.wsgi:application",
        "-c",
        "python:shnor.web.gunicorn_conf",
        "-b",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        "--access-logfile",
        "/dev/null",
    ]
    server = subprocess.Popen(cmd, env=os.environ.copy())
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            console.fail("gunicorn не ответил за 60 с")
        report = run_load(
            base=f"http://127.0.0.1:{port}/",
            username="demo_region",
            password=password,
            sessions=sessions,
            seconds=seconds,
            think=think,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    from django.db import connection

    console.out.print(f"База: {connection.vendor}; gunicorn: {workers} × {threads} потоков", highlight=False)
    console.out.print(report.table(), highlight=False)
    if report.failures:
        console.out.print(f"Сбои: {dict(report.failures)}", highlight=False)
    if report.errors or report.failures:
        sys.exit(1)


def markdown(report, command: str) -> str:
    """The measured table as Markdown."""
    from shnor_bench.country import fmt_table

    lines = [
        f"`{command}` — {_n(report.rows)} rows, {_n(report.present)} present, {_n(report.schools)} schools",
        "",
        "| stage | s | CPU s | peak RSS, MB | note |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in fmt_table(report)]
    if report.ratio is not None:
        lines += [
            "",
            f"Aggregates: Polars {report.polars_s:.2f} s, pandas {report.pandas_s:.2f} s, "
            f"speed-up ×{report.ratio:.1f}; agree: {report.agree} ({report.agreement})",
        ]
    if report.duckdb_ratio is not None:
        lines += [
            "",
            f"Aggregates: Polars {report.polars_s:.2f} s, DuckDB {report.duckdb_s:.2f} s, "
            f"DuckDB / Polars ×{report.duckdb_ratio:.2f}; agree: {report.duckdb_agree} "
            f"({report.duckdb_agreement})",
        ]
    lines += ["", f"Process peak RSS: {_n(round(report.peak_mb))} MB"]
    return "\n".join(lines) + "\n"


def _n(x: int) -> str:
    """12 345 678 (thin groups, as Russian text writes them)."""
    return f"{x:,}".replace(",", " ")
