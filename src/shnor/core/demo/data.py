"""DemoData (the generated frames) and the writers that put them on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import polars as pl

from shnor.core.demo import generate as gen
from shnor.core.demo.config import DemoConfig
from shnor.core.demo.region import build_context
from shnor.core.demo.specs import vpr_spec
from shnor.core.demo.xlsx import write_sheet
from shnor.core.store import schema

#: The exact headers of the real 2021 ФИС ОКО per-pupil export, before the task columns.
VPR_HEADER = [
    "логин школы",
    "регион",
    "номер обучающегося",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "класс",
    "вариант",
    "всего баллов",
]
GIA_COLUMNS = [
    "year",
    "exam",
    "school_id",
    "subject",
    "student_code",
    "primary_score",
    "test_score",
    "mark",
    "below_min",
]


def vpr_header(n_tasks: int) -> list[str]:
    return [*VPR_HEADER, *(f"балл за {i}" for i in range(1, n_tasks + 1))]


@dataclass
class DemoData:
    """The synthetic region. Frames are Polars; ``results`` is built (and cached) on first use.

    ``schools`` (SCHOOLS schema), ``context`` (CONTEXT), ``tasks`` (TASKS), ``scales`` (SCALES),
    ``truth`` (school_id, behaviour, years, strength, detail, context_cell), ``effects`` (true
    effectiveness and disadvantage of every school), ``results`` (RESULTS: ВПР, then ОГЭ/ЕГЭ rows),
    ``gia`` (the gia.csv columns of FORMATS.md).
    """

    config: DemoConfig
    schools: pl.DataFrame
    context: pl.DataFrame
    tasks: pl.DataFrame
    scales: pl.DataFrame
    truth: pl.DataFrame
    effects: pl.DataFrame
    state: gen.State = field(repr=False)
    _raw: dict[tuple[int, str, int], pl.DataFrame] = field(default_factory=dict, repr=False)
    _gia_raw: pl.DataFrame | None = field(default=None, repr=False)

    def raw_test(self, year: int, subject: str, grade: int) -> pl.DataFrame:
        """One ВПР test with the file-only columns (cached unless the size is "country")."""
        key = (year, subject, grade)
        if key in self._raw:
            return self._raw[key]
        frame = gen.vpr_test(self.state, year, subject, grade)
        if self.config.cache:
            self._raw[key] = frame
        return frame

    def iter_tests(self) -> Iterator[tuple[tuple[int, str, int], pl.DataFrame]]:
        """(year, subject, grade) and its RESULTS frame, one test at a time (low memory)."""
        for key in gen.tests_of(self.config):
            yield key, self.raw_test(*key).select(list(schema.RESULTS))

    def _gia(self) -> pl.DataFrame:
        if self._gia_raw is None:
            self._gia_raw = gen.gia_results(self.state) if self.config.gia else None
        return self._gia_raw if self._gia_raw is not None else schema.empty(schema.RESULTS)

    @property
    def vpr_results(self) -> pl.DataFrame:
        return pl.concat([f for _, f in self.iter_tests()])

    @property
    def results(self) -> pl.DataFrame:
        """All results in the RESULTS schema: ВПР (all tests) then ОГЭ/ЕГЭ."""
        return pl.concat([self.vpr_results, self._gia().select(list(schema.RESULTS))])

    @property
    def gia(self) -> pl.DataFrame:
        """ГИА results in the gia.csv columns of FORMATS.md."""
        g = self._gia()
        if "_code" not in g.columns:
            g = g.with_columns(pl.lit(None, pl.String).alias("_code"))
        return g.select(
            pl.col("year").cast(pl.Int16),
            pl.col("procedure").alias("exam"),
            "school_id",
            "subject",
            pl.col("_code").alias("student_code"),
            "primary_score",
            "test_score",
            "mark",
            "below_min",
        )

    def frames(self) -> dict[str, pl.DataFrame]:
        """The canonical in-memory frames, for methods tested without files."""
        return {
            "results": self.results,
            "schools": self.schools,
            "context": self.context,
            "tasks": self.tasks,
            "scales": self.scales,
        }


def generate(config: DemoConfig | None = None) -> DemoData:
    """Build the synthetic region for ``config`` (deterministic from ``config.seed``)."""
    config = config or DemoConfig()
    state = gen.build_state(config)
    truth, effects = gen.truth_frames(state)
    schools = state.region.schools.select(list(schema.SCHOOLS))
    context = build_context(config, state.region, gen._rng(config.seed, 4))
    return DemoData(
        config=config,
        schools=schools,
        context=context,
        tasks=gen.tasks_frame(config),
        scales=gen.scales_frame(config),
        truth=truth,
        effects=effects,
        state=state,
    )


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)


def vpr_file_frame(raw: pl.DataFrame) -> tuple[list[str], pl.DataFrame]:
    """The rows of a ФИС ОКО 2021 per-pupil file (all text) for one test."""
    n_tasks = raw.filter(~pl.col("absent"))["task_scores"].list.len().max() if raw.height else 0
    n_tasks = int(cast(int, n_tasks) or 0)
    cells = []
    for j in range(n_tasks):
        score = pl.col("task_scores").list.get(j, null_on_oob=True)
        na = pl.col("not_attempted").list.get(j, null_on_oob=True)
        cells.append(pl.when(na).then(pl.col("_x_text")).otherwise(_text(score)).alias(f"t{j + 1}"))
    journal = (
        pl.when(pl.col("absent"))
        .then(None)
        .when(pl.col("journal_mark").is_null())
        .then(pl.lit("нет отметки"))
        .otherwise(_text(pl.col("journal_mark")))
    )
    frame = raw.select(
        "school_id",
        "_municipality",
        _text(pl.col("_number")),
        _text(pl.col("_code")),
        journal.alias("journal"),
        "_gender_text",
        "class_name",
        "variant",
        _text(pl.col("primary_score")),
        *cells,
    )
    return vpr_header(n_tasks), frame


def _bool_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Boolean).cast(pl.Int8))


def write_files(data: DemoData, out_dir: Path, *, fmt: str = "xlsx", engine: str = "fast") -> list[Path]:
    """Write the region to ``out_dir``; returns the paths written.

    ``fmt="xlsx"``: one ФИС ОКО 2021 per-pupil file per (year, subject, grade),
    ``vpr_{year}_{subject}{grade}_demo.xlsx``. ``fmt="parquet"``: ВПР results directly in the RESULTS
    schema, ``results/year=Y/vpr_{subject}{grade}.parquet`` (one test in memory at a time).
    Both also write schools.csv, context.csv, gia.csv, tasks.csv, scales.csv, truth.csv and
    truth_effects.csv (UTF-8, comma, booleans 1/0).
    """
    if fmt not in ("xlsx", "parquet"):
        raise ValueError("fmt должен быть 'xlsx' или 'parquet'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for year, subject, grade in gen.tests_of(data.config):
        raw = data.raw_test(year, subject, grade)
        if fmt == "xlsx":
            header, frame = vpr_file_frame(raw)
            if len(header) == len(VPR_HEADER):  # nobody present: still write every task column
                header = vpr_header(len(vpr_spec(subject, grade).tasks))
                frame = frame.with_columns(
                    *(
                        pl.lit(None, pl.String).alias(f"t{j}")
                        for j in range(1, len(header) - len(VPR_HEADER) + 1)
                    )
                )
            path = out_dir / f"vpr_{year}_{subject}{grade}_demo.xlsx"
            written.append(write_sheet(path, header, frame, engine=engine))
        else:
            folder = out_dir / "results" / f"year={year}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"vpr_{subject}{grade}.parquet"
            raw.select(list(schema.RESULTS)).write_parquet(path, compression="zstd")
            written.append(path)
    tables = {
        "schools.csv": data.schools.drop("in_registry"),
        "context.csv": data.context,
        "gia.csv": data.gia,
        "tasks.csv": data.tasks.rename({"task_label": "task"}).select(
            "year",
            "procedure",
            "subject",
            "grade",
            "task",
            "max_points",
            "level",
            "task_no",
            "skill",
            "kes",
            "kt",
        ),
        "scales.csv": data.scales.select(
            "year", "procedure", "subject", "grade", "max_score", "min_3", "min_4", "min_5"
        ),
        "truth.csv": data.truth,
        "truth_effects.csv": data.effects,
    }
    for name, frame in tables.items():
        path = out_dir / name
        _bool_text(frame).write_csv(path)
        written.append(path)
    return written
