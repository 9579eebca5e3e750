"""``shnor robustness --config``: a methodology file measured on the suite's regions."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner

from shnor_bench.robustness.cli import robustness


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(robustness, list(args))
    return result.exit_code, result.output


def test_the_file_s_settings_are_the_ones_measured(tmp_path: Path) -> None:
    """alpha = 0 flags nobody: the rows of the run say so where the defaults flag planted schools."""
    strict = tmp_path / "strict.toml"
    strict.write_text("[objectivity]\nalpha = 0.0\n", encoding="utf-8")
    args = ["--variant", "city_strong_lyceums", "--seeds", "1"]
    code, _out = _run(*args, "--rows", str(tmp_path / "default.parquet"))
    assert code == 0
    code, out = _run(*args, "--config", str(strict), "--rows", str(tmp_path / "strict.parquet"))
    assert code == 0, out
    default = pl.read_parquet(tmp_path / "default.parquet")
    measured = pl.read_parquet(tmp_path / "strict.parquet")
    assert default["flagged"].sum() > 0
    assert measured["flagged"].sum() == 0
    # the signs' p-values do not depend on the decision's threshold
    assert measured["p_combined"].to_list() == default["p_combined"].to_list()


def test_an_unknown_setting_is_refused_in_russian(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[objectivity.signs.task_pattern]\nlevel_line = true\n", encoding="utf-8")
    code, out = _run("--config", str(bad))
    assert code == 2
    assert "неизвестный параметр «level_line»" in out


def test_previous_and_a_file_are_not_asked_together(tmp_path: Path) -> None:
    f = tmp_path / "w.toml"
    f.write_text("[objectivity]\nalpha = 0.01\n", encoding="utf-8")
    code, out = _run("--previous", "--config", str(f))
    assert code == 2
    assert "--previous и --config вместе не задаются" in out
