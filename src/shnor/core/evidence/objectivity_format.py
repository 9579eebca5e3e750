"""The stored layout of the objectivity evidence, version 2 (``"format": 2``): compact, and the same data.

Version 1 (no ``format`` key) stored every record of a school in full: the comparison group's text and
the sign, procedure, subject and grade on each of its ~100 records, p-values to 17 digits, empty
fields. That was ~50 KB a school. Version 2 keeps everything the pages and the robustness suite read,
and drops only what can be told again:

* a record's ``sign``, ``procedure``, ``subject`` and ``grade`` when its ``id``
  (``sign:procedure:subject:grade``) says them (``from_id``);
* a record's ``comparison_group`` when it is the sign's text in ``COMPARISON_GROUPS`` (a record with
  another text keeps it), or its text in ``LEVEL_COMPARISON_GROUPS`` — the expectation a line in the
  school's level, objectivity version 2026.4 — which the record says by ``"on_level": true``;
* ``tested`` when true (a record not tested says ``"tested": false`` and why, ``reason``);
* empty values (None) of the school's evidence and of the pooled tests;
* digits nobody reads: p-values to 3 significant digits (the method makes its other numbers rounded to
  what the pages print already: shares and means to 3–4 digits, chart values to 1–2 decimals). The
  school's own numbers (``p_combined``, ``q_value``, ``sign_p_values``, the threshold, ``bh_cutoff``
  and the pooled p-values, which are the signs') stay exact: the flag is decided on them, and the
  robustness suite reads them;
* the empirical null a record was recalibrated with (``empirical_null``, the same for every school of
  the procedure) becomes ``[center, scale, n_schools]``;
* in ``pooled_signs``: the id and sign (the key says them), ``tested: true``, the standard comparison
  group (``POOLED_COMPARISON_GROUPS``), the empirical null as a list; the pooled bunching's tests per
  boundary become columns (one list per field);
* ``region_bunching`` (the region's bunching rows, the same in every school's evidence) is no longer
  written; rows migrated from version 1 keep theirs (p-values rounded).

``compact`` turns a version-1 evidence object into version 2 (and leaves version 2 as it is);
``compact_record`` is what the method applies to each record as it serialises it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: The layout written now; evidence without a ``format`` key is version 1.
FORMAT = 2
#: Significant digits kept of a p-value.
P_DIGITS = 3

#: The comparison group of each sign as the method words it. A record whose text is this one stores
#: none (the reader puts it back). Never edit a text here: stored runs read theirs from this table; a
#: sign whose wording changes writes its new text on its records (it differs from this one).
COMPARISON_GROUPS: dict[str, str] = {
    "bunching": "распределение баллов региона (сглаженное в окне у порога), перевзвешенное к уровню "
    "школы по её участникам вне окна",
    "fluctuation": "изменения результатов (относительно региона) у ОО региона",
    "homogeneity": "распределение баллов региона, перевзвешенное к среднему баллу школы (с учётом "
    "потолка шкалы)",
    "journal": "ученики региона с той же отметкой по журналу в ОО того же уровня (логистическая "
    "регрессия «повысили» на средний балл ОО)",
    "journal_corr": "внутришкольная корреляция отметок по журналу и баллов в ОО региона того же уровня "
    "(локально-линейная регрессия по среднему баллу ОО)",
    "person_fit": "ученики региона (других ОО) с тем же первичным баллом",
    "similarity": "частоты наборов баллов за задания у учеников региона с тем же первичным баллом",
    "task_pattern": "ученики региона (других ОО) с тем же первичным баллом",
    "lenient_checking": "ученики региона (других ОО) с тем же первичным баллом",
}

#: The comparison group of a task-level sign whose same-total expectation is a line in the school's
#: level (``condition_on_level``, objectivity version 2026.4); a record with this text stores
#: ``"on_level": true`` instead. The same rule: never edit a text here.
LEVEL_COMPARISON_GROUPS: dict[str, str] = dict.fromkeys(
    ("person_fit", "task_pattern", "lenient_checking"),
    "ученики региона (других ОО) с тем же первичным баллом, с поправкой на уровень ОО (линейная "
    "регрессия по среднему баллу ОО среди учеников с тем же баллом)",
)

#: The same for the pooled school-level tests (``pooled_signs``; the pooled bunching's text names its
#: years and is kept).
POOLED_COMPARISON_GROUPS: dict[str, str] = {
    "fluctuation": "изменения положения ОО относительно региона (все ВПР школы за год) у ОО региона",
    "journal_corr": "школы того же уровня в тех же работах ВПР за несколько лет",
    "lenient_checking": "ученики региона с тем же баллом за задания с одним баллом, с поправкой на "
    "уровень школы, за несколько лет",
    "participation": "доля отсутствующих в регионе и в прошлые годы в той же ОО; рост результатов ОО",
}

#: Keys whose floats are p-values (3 significant digits).
_P_KEYS = frozenset({"p_value", "p_value_theoretical", "min_tail_probability", "p_raised", "p_spearman"})
#: Top-level keys kept even when empty (the robustness suite reads them by JSON path).
_ALWAYS = frozenset({"p_combined", "sign_p_values", "significant", "signs", "format"})
#: The keys a record id ``sign:procedure:subject:grade`` says.
_FROM_ID = ("sign", "procedure", "subject", "grade")
#: What a record of a sign tested once per school (not per procedure) is: its procedure.
_SCHOOL_LEVEL = {"vpr_vs_gia": "vpr"}


def rounded(x: float, digits: int) -> float | None:
    """``x`` to ``digits`` significant digits (NaN and ±inf: None, as JSON stores them)."""
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def from_id(rec_id: str) -> dict[str, Any]:
    """The sign, procedure, subject and grade a record id says (``bunching:vpr:ma:4``; ``vpr_vs_gia``;
    ``bunching:pooled``)."""
    parts = rec_id.split(":")
    if len(parts) == 4 and parts[3].isdigit():
        return {"sign": parts[0], "procedure": parts[1], "subject": parts[2], "grade": int(parts[3])}
    out: dict[str, Any] = {"sign": parts[0], "subject": None, "grade": None}
    out["procedure"] = _SCHOOL_LEVEL.get(parts[0])
    return out


def p_rounded(p: float) -> float | None:
    """A p-value to ``P_DIGITS`` (3) significant digits: ``rounded(p, 3)``, by one multiplication for
    p ≥ 0.001 (the same double: an integer over a power of ten divides exactly rounded; formatting
    and parsing a string took most of a record's compacting)."""
    if 0.1 <= p <= 1.0:
        return int(p * 1e3 + 0.5) / 1e3
    if 0.01 <= p < 0.1:
        return int(p * 1e4 + 0.5) / 1e4
    if 0.001 <= p < 0.01:
        return int(p * 1e5 + 0.5) / 1e5
    return rounded(p, P_DIGITS)


def _p_rounded(d: Mapping[str, Any]) -> dict[str, Any]:
    """An object with its p-values rounded and its None values left out (one level)."""
    return {
        k: (p_rounded(v) if k in _P_KEYS and type(v) is float else v) for k, v in d.items() if v is not None
    }


def compact_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A version-1 test record in format 2 (a new dict; see ``compact_record_in_place``)."""
    out = dict(rec)
    compact_record_in_place(out)
    return out


def compact_record_in_place(rec: dict[str, Any]) -> None:
    """A version-1 test record made format 2 in place (not for a format-2 one: it has no ``tested``):
    what its id says, the standard comparison group, ``tested: true`` and empty fields left out,
    p-values rounded where the method leaves them unrounded (the record, its boundaries, the
    similarity's tail probability). In place and by key: this runs on every record of a country year
    (3 million), and a walk over every value cost 10× the record's JSON encoding. Nested objects are
    replaced, never changed (the caller may share them). Nulls are left out where the method writes
    them (the id's parts), not searched for."""
    v = rec.get("p_value")
    if type(v) is float:
        rec["p_value"] = p_rounded(v)
    v = rec.get("p_value_theoretical")
    if type(v) is float:
        rec["p_value_theoretical"] = p_rounded(v)
    stat = rec.get("statistic")
    if type(stat) is dict:
        v = stat.get("min_tail_probability")
        if type(v) is float:
            rec["statistic"] = {**stat, "min_tail_probability": p_rounded(v)}
    bounds = rec.get("boundaries")
    if type(bounds) is list:
        rec["boundaries"] = [
            {**b, "p_value": p_rounded(b["p_value"])}
            if type(b) is dict and type(b.get("p_value")) is float
            else b
            for b in bounds
        ]
    rec_id = rec.get("id")
    sign = rec.get("sign")
    if type(rec_id) is str:
        parts = rec_id.split(":")
        if sign == parts[0]:
            del rec["sign"]
        sign = parts[0]
        if len(parts) == 4:
            if rec.get("procedure") == parts[1]:
                del rec["procedure"]
            if rec.get("subject") == parts[2]:
                del rec["subject"]
            grade = rec.get("grade")
            if grade is not None and str(grade) == parts[3]:
                del rec["grade"]
        else:  # a sign tested once per school (``vpr_vs_gia``): no subject, no grade
            if "procedure" in rec and rec["procedure"] == _SCHOOL_LEVEL.get(sign):
                del rec["procedure"]
            for k in ("subject", "grade"):
                if k in rec and rec[k] is None:
                    del rec[k]
    group = rec.get("comparison_group")
    if group is not None and group == COMPARISON_GROUPS.get(str(sign)):
        del rec["comparison_group"]
    elif group is not None and group == LEVEL_COMPARISON_GROUPS.get(str(sign)):
        del rec["comparison_group"]
        rec["on_level"] = True
    null = rec.get("empirical_null")
    if type(null) is dict:
        rec["empirical_null"] = [null.get("center"), null.get("scale"), null.get("n_schools")]
    tested = rec.get("tested")
    if tested is True:
        del rec["tested"]
    elif not tested:
        rec["tested"] = False


def expand_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A format-2 record with what was left out put back (the version-1 keys)."""
    out = dict(rec)
    rec_id = out.get("id")
    if isinstance(rec_id, str):
        for k, v in from_id(rec_id).items():
            out.setdefault(k, v)
    out.setdefault("tested", True)
    null = out.get("empirical_null")
    if isinstance(null, list) and len(null) == 3:
        out["empirical_null"] = dict(zip(("center", "scale", "n_schools"), null, strict=True))
    table = LEVEL_COMPARISON_GROUPS if out.pop("on_level", False) else COMPARISON_GROUPS
    group = table.get(str(out.get("sign")))
    if group is not None and out["tested"]:
        out.setdefault("comparison_group", group)
    return out


def _columns(rows: list[Any]) -> dict[str, list[Any]] | list[Any]:
    """A list of objects with the same keys as one list per key (the list itself when it is not one)."""
    if not rows or not all(isinstance(r, Mapping) for r in rows):
        return rows
    keys = sorted({k for r in rows for k in r})
    return {k: [r.get(k) for r in rows] for k in keys}


def compact_pooled(pooled: Mapping[str, Any]) -> dict[str, Any]:
    """The school's pooled tests (``pooled_signs``) in format 2: empty fields, the id and the sign (the
    key says them) left out, the boundaries' p-values rounded, the bunching's tests per boundary as
    columns. The pooled p-value stays exact (it is the sign's, ``sign_p_values``)."""
    out = {}
    for name, node in pooled.items():
        if not isinstance(node, Mapping):
            continue
        d = {k: v for k, v in node.items() if v is not None and k not in ("id", "sign")}
        if d.get("tested") is True:
            del d["tested"]
        if "comparison_group" in d and d["comparison_group"] == POOLED_COMPARISON_GROUPS.get(name):
            del d["comparison_group"]
        null = d.get("empirical_null")
        if type(null) is dict:
            d["empirical_null"] = [null.get("center"), null.get("scale"), null.get("n_schools")]
        if isinstance(d.get("boundaries"), list):
            d["boundaries"] = [
                {**_p_rounded(b), "tests": _columns(b["tests"])}
                if isinstance(b, Mapping) and isinstance(b.get("tests"), list)
                else (_p_rounded(b) if isinstance(b, Mapping) else b)
                for b in d["boundaries"]
            ]
        out[name] = d
    return out


def expand_pooled(node: Mapping[str, Any], name: str = "") -> dict[str, Any]:
    """A pooled test (of sign ``name``) as version 1 stored it: tested, its comparison group, the empirical
    null as an object, the tests per boundary as a list of objects."""
    d = dict(node)
    d.setdefault("tested", True)
    group = POOLED_COMPARISON_GROUPS.get(name)
    if group is not None and d["tested"]:
        d.setdefault("comparison_group", group)
    null = d.get("empirical_null")
    if isinstance(null, list) and len(null) == 3:
        d["empirical_null"] = dict(zip(("center", "scale", "n_schools"), null, strict=True))
    bounds = []
    for b in d.get("boundaries") or ():
        if isinstance(b, Mapping) and isinstance(b.get("tests"), Mapping):
            cols = b["tests"]
            n = max((len(v) for v in cols.values() if isinstance(v, list)), default=0)
            b = {**b, "tests": [{k: cols[k][i] for k in cols if cols[k][i] is not None} for i in range(n)]}
        bounds.append(b)
    if "boundaries" in d:
        d["boundaries"] = bounds
    return d


def compact(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """A school's objectivity evidence object in format 2 (version 2 is returned as it is)."""
    if evidence.get("format") == FORMAT:
        return dict(evidence)
    out: dict[str, Any] = {"format": FORMAT}
    for k, v in evidence.items():
        if k == "signs" and isinstance(v, list):
            out[k] = [compact_record(r) if isinstance(r, Mapping) else r for r in v]
        elif k == "pooled_signs" and isinstance(v, Mapping):
            out[k] = compact_pooled(v)
        elif k == "region_bunching" and isinstance(v, list):
            out[k] = [_p_rounded(r) if isinstance(r, Mapping) else r for r in v]
        else:
            out[k] = v
        if (out[k] is None or out[k] == {}) and k not in _ALWAYS:
            del out[k]
    out["format"] = FORMAT
    return out
