"""The stored layout of the objectivity evidence, version 3 (``"format": 3``): format 2 with what is the
same for every school of a procedure stored once per run.

A record's region half — the region's task success and task levels (``task_pattern``), the region's
journal-vs-ВПР matrix, its labels and its shares (``journal_corr``), the empirical null of the
procedure, the reason a procedure was not tested — is the same in every school's record of that id
(``sign:procedure:subject:grade``). Format 3 keeps it once per run, in ``shared`` (the run's
``evidence_shared["objectivity"]``): ``{record id: {path: value}}``, the paths of ``SHARED_PATHS``.
A record that left out path ``SHARED_PATHS[i]`` says so in bit ``i`` of ``"@"``; a record whose value
differs from the run's keeps its own (no bit). The pooled tests (``pooled_signs``) do the same for
their comparison group, the pooled bunching's list of tests (procedure, subject, grade, year of
each) and the pooled lenient and journal signs' (year, subject, grade of each chart point), under
``pooled:<sign>``.

The records themselves are stored as tables whose key lists and repeated texts are the run's too
(``objectivity_tables``: ``shared["@tables"]``, ``shared["@texts"]``), and so is each pooled test
(one row). Read without the run's parts, format-3 evidence has its school-level numbers and no records.

``share`` turns one school's evidence (format 1, 2 or 3 already resolved) into format 3, adding what
it moved to ``shared``; ``resolve`` puts the shared parts back and gives format 2, the layout every
reader takes (``ObjectivityEvidence.parse``, ``plain_signs``). Only where the values are equal does a
part move: ``resolve(share(ev, shared), shared) == compact(ev)``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson

from shnor.core.evidence._read import as_dict
from shnor.core.evidence.objectivity_format import FORMAT as FORMAT_2
from shnor.core.evidence.objectivity_format import compact
from shnor.core.evidence.objectivity_tables import TABLES, TEXTS, from_tables, to_tables

#: The layout the store writes now.
FORMAT = 3
#: What a record may leave to the run, by bit of ``"@"``. Append only: stored runs name paths by index.
SHARED_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("chart", "task_success", "region"),
    ("chart", "task_success", "levels"),
    ("chart", "journal_vs_vpr", "region"),
    ("chart", "journal_vs_vpr", "rows"),
    ("chart", "journal_vs_vpr", "columns"),
    ("chart", "shares", "region"),
    ("empirical_null",),
    ("reason",),
    ("comparison_group",),
    # the pooled bunching's tests (which procedure, subject, grade and year each is)
    *(("boundaries", b, "tests", k) for b in (0, 1) for k in ("procedure", "subject", "grade", "year")),
    # the pooled lenient and journal signs' tests (which year, subject and grade each chart point is)
    *(("tests", k) for k in ("year", "subject", "grade")),
)
#: The key of a record's bits.
MOVED = "@"
_NAMES = tuple(".".join(map(str, p)) for p in SHARED_PATHS)


#: The top-level keys of ``SHARED_PATHS``: a record with none of them has nothing to share.
_TOP = frozenset(p[0] for p in SHARED_PATHS)


def _get(node: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    """The value at ``path`` (keys of objects, indices of lists), or None."""
    cur: Any = node
    for k in path:
        if type(k) is int:
            if type(cur) is not list or k >= len(cur):
                return None
        elif type(cur) is not dict or k not in cur:
            return None
        cur = cur[k]
    return cur


def _with(node: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of ``node`` with ``value`` at ``path`` (missing objects along it made; a list index
    that is not there: ``node`` as it is)."""
    k = path[0]
    if type(k) is int:
        if type(node) is not list or k >= len(node):
            return node
        out_l = list(node)
        out_l[k] = value if len(path) == 1 else _with(out_l[k], path[1:], value)
        return out_l
    out = dict(node) if isinstance(node, Mapping) else {}
    if len(path) == 1:
        out[k] = value
    else:
        out[k] = _with(out.get(k), path[1:], value)
    return out


_Path = tuple[str | int, ...]
#: For each set of top-level keys a record has of ``_TOP``: the bit, path and name of each of
#: ``SHARED_PATHS`` under them, in bit order (a record is checked for these paths only).
_CANDIDATES: dict[frozenset[str | int], tuple[tuple[int, _Path, str], ...]] = {}


def _candidates(tops: frozenset[str | int]) -> tuple[tuple[int, _Path, str], ...]:
    """``_CANDIDATES[tops]``, made the first time a record has these top-level keys."""
    found = _CANDIDATES.get(tops)
    if found is None:
        found = _CANDIDATES[tops] = tuple(
            (1 << i, path, _NAMES[i]) for i, path in enumerate(SHARED_PATHS) if path[0] in tops
        )
    return found


def _remove(out: dict[str, Any], path: _Path, copied: dict[_Path, Any]) -> None:
    """``path`` removed from ``out`` (a copy), each object or list along it copied once for the record
    (``copied``: the copies made so far, by path) — never the caller's node."""
    cur: Any = out
    for depth in range(len(path) - 1):
        head = path[: depth + 1]
        nxt = copied.get(head)
        if nxt is None:
            child = cur[path[depth]]
            nxt = copied[head] = list(child) if type(child) is list else dict(child)
            cur[path[depth]] = nxt
        cur = nxt
    del cur[path[-1]]


def share_node(key: str, node: Mapping[str, Any], shared: MutableMapping[str, Any]) -> dict[str, Any]:
    """A record (or pooled test) without the parts equal to the run's for ``key``; the first school's
    value of a part becomes the run's. ``shared`` is changed."""
    out: dict[str, Any] = dict(node)
    out.pop(MOVED, None)
    tops = _TOP.intersection(out)
    if not tops:
        return out
    entry = shared.setdefault(key, {})
    bits = 0
    copied: dict[_Path, Any] = {}
    for bit, path, name in _candidates(tops):
        v = _get(out, path)
        if v is None:
            continue
        if name not in entry:
            entry[name] = v
        if entry[name] == v:
            _remove(out, path, copied)
            bits |= bit
    if not entry:
        del shared[key]
    if bits:
        out[MOVED] = bits
    return out


def resolve_node(key: str, node: Mapping[str, Any], shared: Mapping[str, Any]) -> dict[str, Any]:
    """A record (or pooled test) with the parts it left to the run put back."""
    bits = node.get(MOVED)
    if not isinstance(bits, int) or not bits:
        return dict(node)
    entry = shared.get(key) or {}
    out = {k: v for k, v in node.items() if k != MOVED}
    for i, path in enumerate(SHARED_PATHS):
        if bits >> i & 1 and _NAMES[i] in entry:
            out = _with(out, path, entry[_NAMES[i]])
    return out


def share(evidence: Mapping[str, Any], shared: MutableMapping[str, Any]) -> dict[str, Any]:
    """A school's objectivity evidence (format 1 or 2) in format 3, its shared parts added to
    ``shared`` (format 3 is returned as it is)."""
    if evidence.get("format") == FORMAT:
        return dict(evidence)
    ev = compact(evidence)
    out: dict[str, Any] = {**ev, "format": FORMAT}
    if isinstance(ev.get("signs"), list):
        out["signs"] = to_tables(
            [
                share_node(str(r.get("id")), r, shared) if type(r) is dict or isinstance(r, Mapping) else r
                for r in ev["signs"]
            ],
            shared.setdefault(TABLES, []),
            shared.setdefault(TEXTS, []),
        )
    pooled = ev.get("pooled_signs")
    if isinstance(pooled, Mapping):
        out["pooled_signs"] = {
            name: _pooled_row(name, share_node(f"pooled:{name}", node, shared), shared)
            if isinstance(node, Mapping)
            else node
            for name, node in pooled.items()
        }
    return out


def _pooled_row(name: str, node: dict[str, Any], shared: MutableMapping[str, Any]) -> Any:
    """A pooled test as one row of a table (``[n, [value, …]]``, its keys the run's), or as it is."""
    if "id" in node:
        return node
    table = to_tables([{"id": name, **node}], shared.setdefault(TABLES, []), shared.setdefault(TEXTS, []))
    return table[0] if table and type(table[0]) is list else node


def _pooled_node(name: str, raw: Any, shared: Mapping[str, Any]) -> Any:
    """A pooled test from ``_pooled_row``'s row (an object as it is)."""
    if type(raw) is not list:
        return raw
    recs = from_tables([raw], shared.get(TABLES), shared.get(TEXTS))
    if not recs:
        return {}
    return {k: v for k, v in recs[0].items() if k != "id"}


def resolve(evidence: Mapping[str, Any], shared: Mapping[str, Any] | None) -> dict[str, Any]:
    """Format-3 evidence as format 2 (the run's ``shared`` parts put back); other formats as they are."""
    if evidence.get("format") != FORMAT:
        return dict(evidence)
    run = shared or {}
    out: dict[str, Any] = {**evidence, "format": FORMAT_2}
    if isinstance(evidence.get("signs"), list):
        out["signs"] = [
            resolve_node(str(r.get("id")), r, run) if isinstance(r, Mapping) else r
            for r in from_tables(evidence["signs"], run.get(TABLES), run.get(TEXTS))
        ]
    pooled = evidence.get("pooled_signs")
    if isinstance(pooled, Mapping):
        nodes = {name: _pooled_node(name, node, run) for name, node in pooled.items()}
        out["pooled_signs"] = {
            name: resolve_node(f"pooled:{name}", node, run) if isinstance(node, Mapping) else node
            for name, node in nodes.items()
        }
    return out


def resolve_data(data: Any, shared: Mapping[str, Any] | None) -> dict[str, Any]:
    """An objectivity outcome's ``data`` (a dict or JSON text) with its evidence resolved (``resolve``);
    the evidence of other formats, and JSON text, as it is stored."""
    row = as_dict(data)
    ev = row.get("evidence")
    if not isinstance(ev, Mapping) or ev.get("format") != FORMAT:
        return row
    return {**row, "evidence": resolve(ev, shared)}


def share_json(evidence: Any, shared: MutableMapping[str, Any]) -> Any:
    """One school's evidence as UTF-8 JSON (as the method made it) in format 3, its shared parts added
    to ``shared``; anything that is not the JSON of an object (None, other values) as it is."""
    if not isinstance(evidence, bytes | bytearray | memoryview | str):
        return evidence
    try:
        parsed = orjson.loads(evidence)
    except orjson.JSONDecodeError:
        return evidence
    if not isinstance(parsed, dict):
        return evidence
    return orjson.dumps(share(parsed, shared))


#: The shared parts of the runs whose parts ``share_part`` has turned, in the process that turns them.
_RUNS: dict[Any, dict[str, Any]] = {}


def share_part(run: Any, evidence: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """A part of run ``run``'s evidence in format 3 (``share_json``), and the run's shared parts so far.
    Made for a process of its own that is given a run's parts one after another, in order: the shared
    parts grow there as they would in the storing thread, so the output is the same."""
    shared = _RUNS.setdefault(run, {})
    return [share_json(ev, shared) for ev in evidence], shared
