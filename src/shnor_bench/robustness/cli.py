"""The suite's command: generate every variant × seed, run both methods, print (and write) the tables."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from shnor_bench.robustness.variants import VARIANTS


def markdown(frame: pl.DataFrame) -> str:
    """A frame as a Markdown table (numbers as printed)."""
    head = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "---|" * frame.width
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, sep, *body])


@click.command("robustness")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    type=click.Choice(sorted(VARIANTS)),
    help="Вариант (все по умолчанию).",
)
@click.option("--seeds", default="1,2", show_default=True, help="Зёрна через запятую.")
@click.option(
    "--previous", is_flag=True, help="Настройки детектора до калибровки (evaluate.PREVIOUS) — для сравнения."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Файл настроек методики (TOML) поверх настроек по умолчанию, например с весами признаков.",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Записать таблицы в Markdown.")
@click.option(
    "--rows",
    "rows_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Записать строки по школам (Parquet).",
)
def robustness(
    variants: tuple[str, ...],
    seeds: str,
    previous: bool,
    config_path: Path | None,
    out: Path | None,
    rows_out: Path | None,
) -> None:
    """Полнота и ложные срабатывания детектора и маркеров ФИОКО на вариантах синтетических регионов."""
    from shnor.core.config import ConfigError, load_config
    from shnor_bench.robustness.evaluate import measure, operating_curve, previous_config, tables

    if previous and config_path:
        raise click.UsageError("--previous и --config вместе не задаются: выберите одно.")
    try:
        config = previous_config() if previous else (load_config(config_path) if config_path else None)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    chosen = [VARIANTS[v] for v in (variants or sorted(VARIANTS))]
    rows = measure(chosen, tuple(int(s) for s in seeds.split(",")), config)
    if rows_out:
        rows.write_parquet(rows_out)
    t = tables(rows)
    t["curve"] = operating_curve(rows)
    pl.Config.set_tbl_rows(200)
    pl.Config.set_tbl_cols(30)
    pl.Config.set_tbl_width_chars(250)
    text = []
    for name, frame in t.items():
        click.echo(f"== {name}")
        click.echo(frame)
        text.append(f"### {name}\n\n{markdown(frame)}\n")
    if out:
        out.write_text("\n".join(text), encoding="utf-8")


def main() -> None:
    """Entry point of ``python -m shnor_bench.robustness``."""
    robustness()
