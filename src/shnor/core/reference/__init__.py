"""Reference data shipped with the product: ВПР mark scales and task structures (see README.md)."""

from __future__ import annotations

from importlib import resources

import polars as pl

from shnor.core.store import schema


def shipped_scales() -> pl.DataFrame:
    """The mark scales the product knows out of the box (SCALES schema)."""
    text = resources.files(__name__).joinpath("scales.csv").read_text(encoding="utf-8")
    return schema.conform(pl.read_csv(text.encode(), infer_schema=False), schema.SCALES)


def shipped_tasks() -> pl.DataFrame:
    """The task structures the product knows out of the box (TASKS schema), read like an imported
    tasks.csv."""
    from shnor.core.ingest.reference import read_tasks

    with resources.as_file(resources.files(__name__).joinpath("tasks.csv")) as path:
        parsed = read_tasks(path)
    if parsed.errors:
        raise RuntimeError(f"поставляемая спецификация заданий содержит ошибки: {parsed.errors[0]}")
    return parsed.frame
