"""Writers: ФИС ОКО 2021 XLSX layout with the real headers, FORMATS.md CSVs, Parquet in RESULTS."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from shnor.core.demo import VPR_HEADER, DemoConfig, DemoData, write_files
from shnor.core.store import schema

REAL_HEADER_2021 = [
    "логин школы", "регион", "номер обучающегося", "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол", "класс", "вариант", "всего баллов",
]  # fmt: skip
X_TEXTS = {"X", "x", "Х", "х", "не пройд."}


@pytest.fixture(scope="module")
def written(small: DemoData, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("demo")
    return out, write_files(small, out)


def _rows(path: Path) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(book.sheet_names[0]).to_python()


def test_file_names(small: DemoData, written: tuple[Path, list[Path]]) -> None:
    out, paths = written
    names = {p.name for p in paths}
    for year in small.config.years:
        for s in small.config.subjects:
            for g in small.config.grades:
                assert f"vpr_{year}_{s}{g}_demo.xlsx" in names
    assert {
        "schools.csv",
        "context.csv",
        "gia.csv",
        "tasks.csv",
        "scales.csv",
        "truth.csv",
        "truth_effects.csv",
    } <= names
    assert all(p.exists() and p.parent == out for p in paths)


def test_vpr_headers_match_real_file(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    assert VPR_HEADER == REAL_HEADER_2021
    ma4 = _rows(next(p for p in paths if p.name == "vpr_2024_ma4_demo.xlsx"))
    assert ma4[0] == [*REAL_HEADER_2021, *(f"балл за {i}" for i in range(1, 16))]
    ru5 = _rows(next(p for p in paths if p.name == "vpr_2024_ru5_demo.xlsx"))
    assert ru5[0][:9] == REAL_HEADER_2021
    assert ru5[0][-1] == "балл за 23"


def test_vpr_file_content_matches_frames(small: DemoData, written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    rows = _rows(next(p for p in paths if p.name == "vpr_2023_ma4_demo.xlsx"))[1:]
    frame = small.results.filter(
        (pl.col("procedure") == "vpr")
        & (pl.col("year") == 2023)
        & (pl.col("subject") == "ma")
        & (pl.col("grade") == 4)
    ).sort("source_row")
    assert len(rows) == frame.height
    for row, rec in zip(rows, frame.iter_rows(named=True), strict=True):
        assert row[0] == rec["school_id"]
        assert row[3].startswith("4")
        assert len(row[3]) == 5
        if rec["absent"]:
            assert row[7] == "отсутствовал"
            assert row[8] == ""
            assert all(c == "" for c in row[9:])
            assert row[4] == row[5] == row[6] == ""
            continue
        assert row[7] in ("1", "2")
        assert int(row[8]) == rec["primary_score"]
        for cell, score, na in zip(row[9:], rec["task_scores"], rec["not_attempted"], strict=True):
            if na:
                assert cell in X_TEXTS
            else:
                assert int(cell) == score
        assert row[4] == ("нет отметки" if rec["journal_mark"] is None else str(rec["journal_mark"]))
        assert row[5].lower() == rec["gender"]
        assert row[6] == rec["class_name"]


def test_engines_agree(small: DemoData, tmp_path: Path) -> None:
    one = DemoData(
        **{
            **small.__dict__,
            "config": DemoConfig(seed=11, size="municipality", years=(2024,), grades=(4,), subjects=("ma",)),
        }
    )
    fast = write_files(one, tmp_path / "fast")
    slow = write_files(one, tmp_path / "slow", engine="xlsxwriter")
    assert _rows(fast[0]) == _rows(slow[0])


def test_csv_formats(written: tuple[Path, list[Path]]) -> None:
    out, _ = written
    heads = {
        name: (out / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        for name in ("schools.csv", "context.csv", "gia.csv", "tasks.csv", "scales.csv", "truth.csv")
    }
    assert heads["schools.csv"] == [
        "school_id", "name", "municipality_id", "municipality", "region_id", "region", "kind", "locality",
        "pupils",
        "is_small", "latitude", "longitude", "website",
    ]  # fmt: skip
    assert heads["context.csv"][:2] == ["year", "school_id"]
    assert set(heads["context.csv"][2:]) == set(schema.CONTEXT_SHARES) | set(schema.CONTEXT_FLAGS)
    assert heads["gia.csv"] == [
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
    assert heads["tasks.csv"][:7] == ["year", "procedure", "subject", "grade", "task", "max_points", "level"]
    assert heads["scales.csv"] == [
        "year",
        "procedure",
        "subject",
        "grade",
        "max_score",
        "min_3",
        "min_4",
        "min_5",
    ]
    assert heads["truth.csv"][:4] == ["school_id", "behaviour", "years", "strength"]
    ctx = pl.read_csv(out / "context.csv")
    assert ctx["share_low_income"].is_between(0, 1).all()
    assert set(ctx["is_remote"].unique()) <= {0, 1}


def test_parquet_results(small: DemoData, tmp_path: Path) -> None:
    paths = write_files(small, tmp_path, fmt="parquet")
    parts = [p for p in paths if p.suffix == ".parquet"]
    assert len(parts) == len(small.config.years) * len(small.config.subjects) * len(small.config.grades)
    back = pl.read_parquet(tmp_path / "results" / "**" / "*.parquet", hive_partitioning=False)
    assert back.schema == pl.Schema(schema.RESULTS)
    assert back.sort("batch_id", "source_row").equals(small.vpr_results.sort("batch_id", "source_row"))
    with pytest.raises(ValueError, match="fmt"):
        write_files(small, tmp_path, fmt="csv")
