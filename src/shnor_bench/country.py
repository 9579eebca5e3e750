"""The national-scale benchmark: generate (cached), load the registry, bulk-import, identify, compare.

Every stage is measured by :class:`shnor_bench.meter.Meter` (wall time, peak RSS). Needs Django set
up (the import and the methodology run are the web application's services).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from shnor.core.memory import release_memory
from shnor_bench.meter import Meter, Stage

LAST_YEAR = 2024
DONE = "generated.json"


@dataclass(frozen=True)
class Plan:
    """What to benchmark: the demo size, how many years (ending 2024), the seed, an optional school count."""

    size: str = "country"
    years: int = 1
    seed: int = 2024
    n_schools: int | None = None
    pandas: bool = True
    duckdb: bool = True

    @property
    def year_list(self) -> tuple[int, ...]:
        return tuple(range(LAST_YEAR - self.years + 1, LAST_YEAR + 1))

    @property
    def key(self) -> str:
        n = f"-n{self.n_schools}" if self.n_schools else ""
        return f"{self.size}{n}-y{self.years}-seed{self.seed}"


def demo_config(plan: Plan) -> Any:
    """The generator's configuration for a plan (ВПР only: no ГИА files at national scale).

    ``plan.n_schools`` is the whole count; the generator's ``n_schools`` is per region, so for the
    country (85 regions) it is divided: ``--schools 5000`` once asked for 425,000 schools and the
    generator was OOM-killed at 23 GB."""
    from shnor.core.demo import DemoConfig
    from shnor.core.demo.config import SIZE_PRESETS

    per_region = None
    if plan.n_schools:
        per_region = max(1, -(-plan.n_schools // SIZE_PRESETS[plan.size][0]))
    return DemoConfig(seed=plan.seed, size=plan.size, years=plan.year_list, gia=False, n_schools=per_region)


def generate_cached(plan: Plan, cache_root: Path) -> tuple[Path, bool]:
    """The folder of the plan's generated files (RESULTS Parquet + CSVs); generates it when missing.

    Returns (folder, generated_now). A folder is complete only once ``generated.json`` is written.
    """
    from shnor.core.demo import generate, write_files

    folder = Path(cache_root) / plan.key
    if (folder / DONE).exists():
        return folder, False
    if folder.exists():
        shutil.rmtree(folder)
    tmp = folder.with_name(folder.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    data = generate(demo_config(plan))
    write_files(data, tmp, fmt="parquet")
    (tmp / DONE).write_text(json.dumps(asdict(plan)), encoding="utf-8")
    tmp.rename(folder)
    return folder, True


def result_files(folder: Path) -> list[Path]:
    """The generated RESULTS Parquet files, one per test, oldest year first."""
    return sorted((folder / "results").glob("year=*/vpr_*.parquet"))


def warehouse_files() -> list[Path]:
    """The warehouse's Parquet files of every live batch: what ``results_scan`` reads."""
    from django.conf import settings

    from shnor.web.assessments.selectors import batches_live

    return [Path(settings.HOME) / "warehouse" / b.path for b in batches_live()]


def registry_load(folder: Path) -> dict[str, int]:
    """Load schools, context, scales and tasks of a generated country into the database in bulk.

    The ordinary registry import checks and upserts row by row (fine for a region, minutes for 40,000
    schools); the generator's files are known to be valid, so rows are bulk-created into an empty
    registry.
    """
    from django.db import transaction

    from shnor.core.store import schema
    from shnor.web.assessments.services import scales_file_import, tasks_file_import
    from shnor.web.registry.models import Municipality, Region, School, SchoolContext

    schools = pl.read_csv(
        folder / "schools.csv",
        infer_schema_length=None,
        schema_overrides={"school_id": pl.String, "region_id": pl.String, "municipality_id": pl.String},
    )
    context = pl.read_csv(
        folder / "context.csv", infer_schema_length=None, schema_overrides={"school_id": pl.String}
    )
    with transaction.atomic():
        regions = schools.select("region_id", "region").unique("region_id").sort("region_id")
        Region.objects.bulk_create(
            [
                Region(code=c, name=n)
                for c, n in regions.iter_rows()
                if not Region.objects.filter(code=c).exists()
            ],
            batch_size=500,
        )
        reg_pk = dict(Region.objects.values_list("code", "pk"))
        munis = (
            schools.select("municipality_id", "municipality", "region_id")
            .unique("municipality_id")
            .sort("municipality_id")
        )
        known_m = set(Municipality.objects.values_list("code", flat=True))
        Municipality.objects.bulk_create(
            [
                Municipality(code=c, name=n, region_id=reg_pk.get(r))
                for c, n, r in munis.iter_rows()
                if c not in known_m
            ],
            batch_size=500,
        )
        mun_pk = dict(Municipality.objects.values_list("code", "pk"))
        known_s = set(School.objects.values_list("school_id", flat=True))
        flag: dict[Any, bool | None] = {1: True, 0: False, None: None}  # True/False hash as 1/0
        School.objects.bulk_create(
            [
                School(
                    school_id=r["school_id"],
                    name=r["name"] or "",
                    municipality_id=mun_pk.get(r["municipality_id"]),
                    region_id=reg_pk.get(r["region_id"]),
                    kind=r["kind"] or "",
                    locality=r["locality"] or "",
                    pupils=r["pupils"],
                    is_small=flag[r["is_small"]],
                    latitude=r["latitude"],
                    longitude=r["longitude"],
                    website=r["website"] or "",
                    in_registry=True,
                )
                for r in schools.iter_rows(named=True)
                if r["school_id"] not in known_s
            ],
            batch_size=500,
        )
        sch_pk = dict(School.objects.values_list("school_id", "pk"))
        fields = [c for c in (*schema.CONTEXT_SHARES, *schema.CONTEXT_FLAGS) if c in context.columns]
        SchoolContext.objects.bulk_create(
            [
                SchoolContext(
                    school_id=sch_pk[r["school_id"]],
                    year=r["year"],
                    **{f: (flag[r[f]] if f in schema.CONTEXT_FLAGS else r[f]) for f in fields},
                )
                for r in context.iter_rows(named=True)
                if r["school_id"] in sch_pk
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
    scales_file_import(path=folder / "scales.csv")
    tasks_file_import(path=folder / "tasks.csv")
    return {"schools": schools.height, "context": context.height}


def bulk_import(folder: Path) -> list[Any]:
    """Import every generated test file through the bulk Parquet importer."""
    from shnor.web.assessments.bulk import results_parquet_import

    return [results_parquet_import(path=f) for f in result_files(folder)]


@dataclass
class Report:
    """Everything one benchmark run measured."""

    plan: Plan
    folder: Path
    generated: bool
    stages: list[Stage]
    peak_mb: float
    rows: int
    present: int
    schools: int
    summary: dict[str, Any]
    polars_s: float | None = None
    pandas_s: float | None = None
    agree: bool | None = None
    agreement: str = ""
    duckdb_s: float | None = None
    duckdb_agree: bool | None = None
    duckdb_agreement: str = ""

    @property
    def ratio(self) -> float | None:
        """pandas seconds over Polars seconds (how many times Polars is faster)."""
        if not self.polars_s or self.pandas_s is None:
            return None
        return self.pandas_s / self.polars_s

    @property
    def duckdb_ratio(self) -> float | None:
        """DuckDB seconds over Polars seconds (above 1: Polars is faster)."""
        if not self.polars_s or self.duckdb_s is None:
            return None
        return self.duckdb_s / self.polars_s


IDENTIFY_PARTS = {  # the outcomes are stored by a writer thread alongside the stages after their method
    "социальный индекс": "social_index (workers: deficits)",
    "маркеры ФИОКО": "fioko (workers: deficits, low results, objectivity's procedures)",
    "признаки необъективности": "objectivity: the procedures collected (workers: the same)",
    "дефициты умений": "deficits: what is left of the worker's",
    "низкие результаты": "low_results (+ value_added): what is left of the worker's",
    "объединение признаков необъективности": "objectivity: signs combined, evidence made and stored",
    "сохранение признаков необъективности": "store objectivity outcomes",
    "варианты сопровождения": "tracks",
    "сохранение": "FIOKO index",
    "ожидание записи результатов": "store: wait",
    "запись файлов": "write output files",
}


def run_bench(plan: Plan, cache_root: Path, say: Any = None) -> Report:
    """Run every stage of the benchmark for ``plan`` in the current Django database and SHNOR_HOME."""
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.identification.services import methodology_run_create
    from shnor.web.registry.selectors import schools_frame
    from shnor_bench.duckdb_baseline import duckdb_aggregates
    from shnor_bench.pandas_baseline import compare, pandas_aggregates, polars_aggregates

    say = say or (lambda _m: None)
    meter = Meter()
    try:
        say("генерация данных")
        with meter.stage("generate (demo, cached)") as st:
            folder, generated = generate_cached(plan, cache_root)
            st.note = "сгенерировано" if generated else "из кэша"
        say("реестр")
        with meter.stage("registry (schools, context, scales, tasks)") as st:
            reg = registry_load(folder)
            st.note = f"{reg['schools']} школ, {reg['context']} записей контекста"
        say("импорт результатов")
        with meter.stage("import (bulk Parquet → warehouse + manifest)") as st:
            outcomes = bulk_import(folder)
            st.note = f"{len(outcomes)} файлов"
        scan = results_scan()
        counts = (
            scan.select(
                pl.len().alias("rows"),
                (~pl.col("absent")).sum().alias("present"),
                pl.col("school_id").n_unique().alias("schools"),
            )
            .collect()
            .row(0, named=True)
        )
        say("расчёт по всем методикам")
        with meter.stage(f"identify {LAST_YEAR} (methodology_run_create)") as st:

            def progress(stage: str) -> None:
                meter.mark(IDENTIFY_PARTS.get(stage, stage))
                say(f"расчёт: {stage}")

            try:
                run, _frames = methodology_run_create(
                    year=LAST_YEAR, label="bench", progress=progress, keep_evidence=False
                )
            except Exception as exc:  # keep the measurements of the other stages; reported as a failure
                summary: dict[str, Any] = {"error": f"{exc.__class__.__name__}: {exc}"}
                st.note = f"ОШИБКА: {summary['error']}"[:200]
            else:
                summary = run.summary
                st.note = f"расчёт №{run.pk}"
                del _frames  # the run's frames (GBs of evidence) are stored: not part of the next stages
        release_memory()
        report = Report(
            plan,
            folder,
            generated,
            meter.stages,
            0.0,
            counts["rows"],
            counts["present"],
            counts["schools"],
            summary,
        )
        say("агрегаты Polars")
        with meter.stage("aggregates: Polars (project code path)") as st:
            t0 = time.perf_counter()
            pa = polars_aggregates(results_scan(), scales_frame(), tasks_frame(), schools_frame(), LAST_YEAR)
            report.polars_s = time.perf_counter() - t0
            st.note = f"{pa['units'].height} школо-процедур, {pa['tasks'].height} школо-заданий"
        if plan.pandas:
            say("агрегаты pandas")
            files = [f for f in result_files(folder) if f.parent.name == f"year={LAST_YEAR}"]
            with meter.stage("aggregates: pandas (plain)"):
                t0 = time.perf_counter()
                pd_ = pandas_aggregates(
                    files, folder / "scales.csv", folder / "tasks.csv", folder / "schools.csv", LAST_YEAR
                )
                report.pandas_s = time.perf_counter() - t0
            report.agree, report.agreement = compare(pa, pd_)
            del pd_
        if plan.duckdb:
            say("агрегаты DuckDB")
            with meter.stage("aggregates: DuckDB (SQL over the warehouse files)") as st:
                t0 = time.perf_counter()
                dd = duckdb_aggregates(
                    warehouse_files(), scales_frame(), tasks_frame(), schools_frame(), LAST_YEAR
                )
                report.duckdb_s = time.perf_counter() - t0
                st.note = f"{dd['units'].height} школо-процедур, {dd['tasks'].height} школо-заданий"
            report.duckdb_agree, report.duckdb_agreement = compare(pa, dd)
            del dd
        del pa
    finally:
        meter.close()
    report.stages = meter.stages
    report.peak_mb = meter.peak_mb
    return report


def fmt_table(report: Report) -> list[tuple[str, str, str, str, str]]:
    """Rows (stage, seconds, CPU seconds, peak RSS MB, note) of the printed table."""
    rows = []
    for s in report.stages:
        name = ("  └ " if s.level else "") + s.name
        rows.append(
            (name, f"{s.seconds:.1f}", f"{s.cpu_s:.1f}", f"{s.peak_mb:,.0f}".replace(",", " "), s.note)
        )
    return rows


__all__ = [
    "Plan",
    "Report",
    "bulk_import",
    "fmt_table",
    "generate_cached",
    "registry_load",
    "run_bench",
    "warehouse_files",
]
