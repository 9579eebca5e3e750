"""Every sign of one procedure (procedure/subject/grade) of the year: the work a worker process does."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.fdr import empirical_null
from shnor.core.methods.objectivity.pooled import NullPmfs, _pool_cfg
from shnor.core.methods.objectivity.records import _Records
from shnor.core.methods.objectivity.signs import (
    bunching,
    homogeneity,
    journal,
    lenient_checking,
    similarity,
    task_signs,
)
from shnor.core.methods.objectivity.signs.base import Unit, not_tested
from shnor.core.methods.objectivity.spec import CHART_TWINS
from shnor.core.methods.objectivity.standing import fluctuation
from shnor.core.methods.objectivity.units import build_unit


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off: a country year makes and keeps millions of small acyclic
    objects (test records, their dicts), and the collector's full passes over them only cost time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _bunching_found(
    inputs: Inputs, config: Mapping[str, Any], unit: Unit, key: tuple[str, str, int]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], NullPmfs | None]:
    """The procedure's bunching records, its region-level rows and, when bunching is pooled over the
    school's tests, the null pmfs per (school, cut) (a school too small alone is then left to the
    pooled test)."""
    procedure, subject, grade = key
    cfg = config["signs"]["bunching"]
    if not unit.cuts:
        return {s: not_tested("шкала отметок неизвестна") for s in unit.school_ids}, [], None
    pmfs: NullPmfs | None = None
    if cfg.get("pool", False) and procedure in set(cfg.get("pool_procedures", ["vpr"])):
        null: dict[tuple[str, str], dict[str, Any]] = {}
        res, rows = bunching(unit, _pool_cfg(cfg), null)
        pmfs = NullPmfs(inputs.year, key, null)
        min_n = int(cfg["min_pupils"])
        for sid, rec in res.items():
            if rec.get("tested") and rec["n"] < min_n:
                res[sid] = not_tested(
                    f"участников {rec['n']} < {min_n}: гистограмма неинформативна "
                    "(учтено в объединённой проверке по всем ВПР школы)",
                    n=rec["n"],
                )
    else:
        res, rows = bunching(unit, cfg)
    region_rows = [{"procedure": procedure, "subject": subject, "grade": grade, **r} for r in rows]
    return res, region_rows, pmfs


def _signs_found(
    inputs: Inputs, cfg_s: Mapping[str, Any], unit: Unit
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every enabled sign but bunching over the procedure's pupils: {sign: {school_id: record}}, in the
    order the records are made."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    if cfg_s["task_pattern"]["enabled"] or cfg_s["person_fit"]["enabled"]:
        pat, fit = task_signs(unit, cfg_s["task_pattern"], cfg_s["person_fit"])
        if cfg_s["task_pattern"]["enabled"]:
            found["task_pattern"] = pat
        if cfg_s["person_fit"]["enabled"]:
            found["person_fit"] = fit
    if cfg_s.get("lenient_checking", {}).get("enabled", False):
        found["lenient_checking"] = lenient_checking(unit, cfg_s["lenient_checking"])
    if cfg_s["similarity"]["enabled"]:
        found["similarity"] = similarity(unit, cfg_s["similarity"])
    if cfg_s["homogeneity"]["enabled"]:
        found["homogeneity"] = homogeneity(unit, cfg_s["homogeneity"])
    if cfg_s["journal"]["enabled"] or cfg_s["journal_corr"]["enabled"]:
        if unit.cuts or (unit.mark >= 2).any():
            up, corr = journal(
                unit,
                {
                    **cfg_s["journal"],
                    "corr_level_bandwidth": cfg_s["journal_corr"].get("corr_level_bandwidth", 0.0),
                },
            )
        else:
            up = corr = {s: not_tested("нет отметок ВПР") for s in unit.school_ids}
        if cfg_s["journal"]["enabled"]:
            found["journal"] = up
        if cfg_s["journal_corr"]["enabled"]:
            found["journal_corr"] = corr
    if cfg_s["fluctuation"]["enabled"]:
        found["fluctuation"] = fluctuation(inputs, unit, cfg_s["fluctuation"])
    return found


def _add_records(
    records: _Records, found: dict[str, dict[str, dict[str, Any]]], unit: Unit, config: Mapping[str, Any]
) -> None:
    """Every school's record of every sign found, recalibrated where the sign asks for the empirical
    null; a chart the twin sign's record already carries becomes a reference to it (``CHART_TWINS``)."""
    cfg_s = config["signs"]
    procedure, subject, grade = unit.procedure, unit.subject, unit.grade
    twin_charts: dict[str, dict[str, Any]] = {}
    add = records.add
    for sign, res in found.items():
        calib = None
        if cfg_s[sign].get("empirical_null", False):
            calib = empirical_null(res, int(config["empirical_null_min_schools"]))
        twin = CHART_TWINS.get(sign)
        charts = twin_charts.pop(twin, {}) if twin else {}
        keep = sign in CHART_TWINS.values()
        rec_id = f"{sign}:{procedure}:{subject}:{grade}"
        for sid in unit.school_ids:
            rec = dict(res.get(sid) or not_tested("нет данных"))
            rec.update(sign=sign, procedure=procedure, subject=subject, grade=grade, id=rec_id)
            if calib is not None and rec.get("tested"):
                rec["empirical_null"] = calib
            chart = rec.get("chart")
            if chart is not None:
                if keep:
                    twin_charts.setdefault(sign, {})[sid] = chart
                elif twin and charts.get(sid) == chart:  # the twin's record already carries this chart
                    del rec["chart"]
                    rec["chart_of"] = f"{twin}:{procedure}:{subject}:{grade}"
            add(sid, rec)
        found[sign] = {}  # the records hold what is needed: free the dicts as we go


def _unit_tests(
    inputs: Inputs, config: Mapping[str, Any], key: tuple[str, str, int]
) -> tuple[_Records, list[dict[str, Any]], NullPmfs | None]:
    """Every sign of one procedure of ``inputs.year``: the records (``_Records``), each sign's in
    school order, the region-level bunching rows and, when bunching is pooled, the null
    pmfs per (school, cut) (``NullPmfs``)."""
    procedure, subject, grade = key
    cfg_s = config["signs"]
    records = _Records()
    region_rows: list[dict[str, Any]] = []
    pmfs: NullPmfs | None = None
    unit = build_unit(inputs, procedure, inputs.year, subject, grade)
    if unit is None:
        return records, region_rows, pmfs
    found: dict[str, dict[str, dict[str, Any]]] = {}
    if cfg_s["bunching"]["enabled"]:
        found["bunching"], region_rows, pmfs = _bunching_found(inputs, config, unit, key)
    found.update(_signs_found(inputs, cfg_s, unit))
    _add_records(records, found, unit, config)
    return records, region_rows, pmfs


def _unit_tests_packed(
    inputs: Inputs, config: Mapping[str, Any], key: tuple[str, str, int]
) -> tuple[Any, ...]:
    """``_unit_tests`` as columns (a few large lists pickle far faster than 300,000 objects):
    ([school ids, record ids, signs, procedures, tested, p-values, starts, ends], bodies as one
    byte array, the schools in order), region rows, pmfs. The bodies are a NumPy view of the buffer,
    not a copy: from a worker they travel out of band (``workers.ship``)."""
    with _gc_paused():
        records, rows, pmfs = _unit_tests(inputs, config, key)
    cols = records.cols
    return (cols, np.frombuffer(records.buffer, dtype=np.uint8), list(dict.fromkeys(cols[0]))), rows, pmfs
