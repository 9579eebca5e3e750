"""The per-school aggregates of :mod:`shnor_bench.pandas_baseline` a third time: DuckDB SQL.

The same definitions as the Polars path (``polars_aggregates``), written as one SQL script over the
warehouse's Parquet files (every live batch, filtered to the year's ВПР in SQL, as the Polars scan is):

- participants: ``absent`` not true and a primary score (``fioko._participants``);
- per school × subject × grade: ``n``, ``mean``, ``sd`` (``stddev_samp``), FIOKO's inflated-mean
  intervals of the school and of its region and the marker, the shares of marks 2–5 (of the pupils
  with a mark), the share below ``min_3``, Spearman's rs (Pearson's ``corr`` of average ranks, the
  average rank being the mean of the first and the last position among ties);
- per school × subject × grade × task position 1..(tasks of the test): points over participants ×
  maximum, positions past a pupil's list counting as missing (``list.get(null_on_oob)``).

The small registry frames (scales, tasks, schools) are handed to DuckDB as the Polars frames the
Polars path gets. ``shnor_bench.pandas_baseline.compare`` checks the result against Polars's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from shnor_bench.pandas_baseline import _UNIT_VALUES, UNIT, T

_SQL = """
WITH part AS (
    SELECT school_id, subject, CAST(grade AS INTEGER) AS grade,
           CAST(primary_score AS DOUBLE) AS score, mark, CAST(journal_mark AS DOUBLE) AS jm, task_scores
    FROM read_parquet($files)
    WHERE procedure = 'vpr' AND year = $year AND NOT coalesce(absent, false) AND primary_score IS NOT NULL
),
sc AS (
    SELECT subject, CAST(grade AS INTEGER) AS grade, CAST(min_3 AS DOUBLE) AS min_3
    FROM scales_in WHERE procedure = 'vpr' AND year = $year
),
reg AS (
    SELECT school_id, coalesce(any_value(region_id), '') AS region_id FROM schools_in GROUP BY school_id
),
ranked AS (  -- average ranks within the unit of the pupils with a journal mark
    SELECT school_id, subject, grade,
           rank() OVER (PARTITION BY school_id, subject, grade ORDER BY jm)
             + (count(*) OVER (PARTITION BY school_id, subject, grade, jm) - 1) / 2.0 AS rx,
           rank() OVER (PARTITION BY school_id, subject, grade ORDER BY score)
             + (count(*) OVER (PARTITION BY school_id, subject, grade, score) - 1) / 2.0 AS ry
    FROM part WHERE jm IS NOT NULL
),
rs AS (
    SELECT school_id, subject, grade, corr(rx, ry) AS spearman FROM ranked GROUP BY ALL
),
unit AS (
    SELECT p.school_id, p.subject, p.grade,
           count(*) AS n,
           avg(p.score) AS mean,
           stddev_samp(p.score) AS sd,
           count_if(p.mark = 2) / count(p.mark) AS share_2,
           count_if(p.mark = 3) / count(p.mark) AS share_3,
           count_if(p.mark = 4) / count(p.mark) AS share_4,
           count_if(p.mark = 5) / count(p.mark) AS share_5,
           avg(CAST(p.score < sc.min_3 AS DOUBLE)) AS share_below_3
    FROM part p LEFT JOIN sc USING (subject, grade)
    GROUP BY ALL
),
region AS (
    SELECT coalesce(reg.region_id, '') AS region_id, p.subject, p.grade,
           avg(p.score) + $t * stddev_samp(p.score) / sqrt(count(*)) AS r_hi
    FROM part p LEFT JOIN reg USING (school_id)
    GROUP BY ALL
)
SELECT u.school_id, u.subject, u.grade, u.n, u.mean, u.sd,
       u.mean - $t * u.sd / sqrt(u.n) AS ci_lo,
       u.mean + $t * u.sd / sqrt(u.n) AS ci_hi,
       region.r_hi,
       u.n >= 2 AND (u.mean - $t * u.sd / sqrt(u.n)) > region.r_hi AS inflated,
       u.share_2, u.share_3, u.share_4, u.share_5, u.share_below_3,
       rs.spearman
FROM unit u
LEFT JOIN reg USING (school_id)
LEFT JOIN region ON region.region_id = coalesce(reg.region_id, '')
    AND region.subject = u.subject AND region.grade = u.grade
LEFT JOIN rs ON rs.school_id = u.school_id AND rs.subject = u.subject AND rs.grade = u.grade
ORDER BY u.school_id, u.subject, u.grade
"""

_TASKS_SQL = """
WITH part AS (
    SELECT school_id, subject, CAST(grade AS INTEGER) AS grade, task_scores
    FROM read_parquet($files)
    WHERE procedure = 'vpr' AND year = $year AND NOT coalesce(absent, false) AND primary_score IS NOT NULL
),
mx AS (
    SELECT subject, CAST(grade AS INTEGER) AS grade, CAST(task_no AS INTEGER) AS task_no,
           CAST(max_points AS DOUBLE) AS max_points
    FROM tasks_in WHERE procedure = 'vpr' AND year = $year
),
nt AS (SELECT subject, grade, count(*) AS n_tasks FROM mx GROUP BY subject, grade),
pos AS (  -- positions 1..(number of tasks of the test) in task_scores
    SELECT subject, grade, CAST(unnest(range(1, n_tasks + 1)) AS INTEGER) AS task_no FROM nt
),
sums AS (
    SELECT p.school_id, p.subject, p.grade, pos.task_no,
           count(*) AS n, CAST(coalesce(sum(p.task_scores[pos.task_no]), 0) AS BIGINT) AS points
    FROM part p JOIN pos USING (subject, grade)
    GROUP BY ALL
)
SELECT s.school_id, s.subject, s.grade, s.task_no, s.points / (s.n * mx.max_points) AS success
FROM sums s LEFT JOIN mx USING (subject, grade, task_no)
ORDER BY s.school_id, s.subject, s.grade, s.task_no
"""


def duckdb_aggregates(
    files: Iterable[Path],
    scales: pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame,
    year: int,
    t: float = T,
) -> dict[str, pl.DataFrame]:
    """``units`` and ``tasks`` as ``polars_aggregates`` makes them, computed by DuckDB over ``files``."""
    import duckdb

    paths = [str(f) for f in files]
    if not paths:
        raise ValueError("нет файлов результатов для DuckDB")
    con = duckdb.connect()
    try:
        con.register("scales_in", scales)
        con.register("tasks_in", tasks)
        con.register("schools_in", schools.select("school_id", pl.col("region_id").cast(pl.String)))
        units = con.sql(_SQL, params={"files": paths, "year": year, "t": t}).pl()
        tk = con.sql(_TASKS_SQL, params={"files": paths, "year": year}).pl()
    finally:
        con.close()
    return {"units": units.select(*UNIT, *_UNIT_VALUES), "tasks": tk}


__all__ = ["duckdb_aggregates"]
