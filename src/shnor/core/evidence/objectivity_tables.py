"""The records of a school's objectivity evidence as tables (format 3, ``objectivity_shared``).

A school's ~100 records repeat their key names (``"expected_spearman_at_level"``, ``"statistic"`` …).
``to_tables`` writes the records of one sign with the same keys (nested objects flattened to
``statistic.z``, a top-level list of objects with the same keys — bunching's ``boundaries`` — as one
column per key, ``boundaries[].cut``) as one table ``[n, [value, …], …]`` whose key list is the run's
``keylists[n]``; the ``id`` column keeps what follows the sign (``vpr:ma:4``), and the texts of
``_TEXTS`` and the ids' rest are positions in the run's ``texts``. ``from_tables`` reads them back, in
id order. Only records that are objects, in id order with unique ids, and whose keys have no ``.`` or
``[`` are written so (the method's are); others stay a list of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: A record's list of objects with the same keys (bunching's ``boundaries``) flattened as one column
#: per key: ``boundaries[].cut`` holds ``[cut of the first, cut of the second, …]``.
_ROWS = "[]"


def _same_keys(v: Any) -> list[str] | None:
    """The keys of a non-empty list of objects that all have the same keys (in order), else None."""
    if type(v) is not list or not v or type(v[0]) is not dict or not v[0]:
        return None
    keys = list(v[0])
    if any(type(d) is not dict or list(d) != keys for d in v) or any("." in k or "[" in k for k in keys):
        return None
    return keys


def _flat(node: Mapping[str, Any], prefix: str, keys: list[str], values: list[Any]) -> bool:
    """``node``'s leaves: their ``a.b`` paths onto ``keys``, their values onto ``values``, in key order
    (a top-level list of objects as columns, ``_ROWS``). False when a key of ``node`` or of an object
    in it has a dot or a bracket (the record cannot be a table row; one pass checks it as it goes)."""
    plain = True
    for k, v in node.items():
        if "." in k or "[" in k:
            plain = False
        if type(v) is dict and v:
            plain = _flat(v, prefix + k + ".", keys, values) and plain
        elif not prefix and type(v) is list and (sub := _same_keys(v)) is not None:
            for c in sub:
                keys.append(k + _ROWS + "." + c)
                values.append([d[c] for d in v])
        else:
            keys.append(prefix + k)
            values.append(v)
    return plain


def _rows_back(rec: dict[str, Any]) -> dict[str, Any]:
    """A rebuilt record with its ``_ROWS`` columns as lists of objects again (in key order)."""
    if not any(k.endswith(_ROWS) for k in rec):
        return rec
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if k.endswith(_ROWS) and type(v) is dict:
            cols = list(v.items())
            n = len(cols[0][1]) if cols else 0
            out[k[: -len(_ROWS)]] = [{sub: col[i] for sub, col in cols} for i in range(n)]
        else:
            out[k] = v
    return out


#: The key of the run's key lists in ``shared`` (a record id never is).
TABLES = "@tables"
#: The key of the run's texts in ``shared``: a column of ``_TEXTS`` (or the ids' rest, ``_ID``) whose
#: values are all texts holds their positions there, and its key list names it ``#reason``.
TEXTS = "@texts"
_TEXTS = frozenset({"reason", "chart_of", "reliability"})
#: A key list's ``id`` column whose ids all start with the same ``<sign>:``: ``id~<sign>:``, and the
#: column holds the rest of each id.
_ID = "id~"


#: The positions of the run's key lists and texts, kept between schools (rebuilding them for each
#: school took longer than the school's tables): list id -> (the list, its positions). A few runs.
_INDEX: dict[int, tuple[list[Any], dict[Any, int]]] = {}


def _index(items: list[Any], key: Any = None) -> dict[Any, int]:
    """The position of each item of ``items`` (by ``key(item)``), kept up to date by its callers."""
    kept = _INDEX.get(id(items))
    if kept is not None and kept[0] is items and len(kept[1]) == len(items):
        return kept[1]
    at = {(key(x) if key else x): i for i, x in enumerate(items)}
    if len(_INDEX) >= 8:
        del _INDEX[next(iter(_INDEX))]
    _INDEX[id(items)] = (items, at)
    return at


def to_tables(records: list[Any], keylists: list[list[str]], texts: list[str]) -> list[Any]:
    """A school's records as tables ``[n, [value, …], …]``: records with the same flattened keys, whose
    list is the run's ``keylists[n]`` (added when new; see the module). The records as they are when
    they cannot be (not objects, not in id order, a key with a dot)."""
    ids: list[Any] = [r.get("id") if type(r) is dict else None for r in records]
    if not all(type(i) is str for i in ids) or any(a >= b for a, b in zip(ids, ids[1:], strict=False)):
        return records
    groups: dict[tuple[str, ...], list[list[Any]]] = {}  # by sign and keys
    for r in records:
        keys: list[str] = [r["id"].split(":", 1)[0]]  # (the sign first)
        values: list[Any] = []
        if not _flat(r, "", keys, values):
            return records
        groups.setdefault(tuple(keys), []).append(values)
    known = _index(keylists, tuple)
    text_at = _index(texts)
    out: list[Any] = []
    for group, rows in groups.items():
        names = list(group[1:])
        at = names.index("id")
        prefix = str(rows[0][at]).split(":", 1)[0] + ":"
        if ":" in str(rows[0][at]) and all(str(row[at]).startswith(prefix) for row in rows):
            names[at] = _ID + prefix
            for row in rows:
                row[at] = row[at][len(prefix) :]
        for i, name in enumerate(names):
            if (name in _TEXTS or name.startswith(_ID)) and all(type(row[i]) is str for row in rows):
                names[i] = "#" + name
                for row in rows:
                    j = text_at.get(row[i])
                    if j is None:
                        j = text_at[row[i]] = len(texts)
                        texts.append(row[i])
                    row[i] = j
        n = known.get(tuple(names))
        if n is None:
            n = known[tuple(names)] = len(keylists)
            keylists.append(names)
        out.append([n, *rows])
    return out


def from_tables(signs: list[Any], keylists: Any, texts: Any = None) -> list[Any]:
    """The records of ``to_tables``'s tables, in id order (a list of records is given back as it is; a
    table whose key list is not in ``keylists`` is left out)."""
    if not signs or type(signs[0]) is not list:
        return signs
    out = []
    for table in signs:
        if type(table) is not list or not table or type(table[0]) is not int:
            continue
        if not isinstance(keylists, list) or not 0 <= table[0] < len(keylists):
            continue
        names = [str(k) for k in keylists[table[0]]]
        prefix = ""
        coded = [k.startswith("#") for k in names]
        for i, k in enumerate(names):
            k = k[1:] if coded[i] else k
            if k.startswith(_ID):
                prefix, k = k[len(_ID) :], "id"
            names[i] = k
        paths = [k.split(".") for k in names]
        for values in table[1:]:
            if type(values) is not list or len(values) != len(paths):
                continue
            rec: dict[str, Any] = {}
            for path, v, text in zip(paths, values, coded, strict=True):
                if text:
                    v = (
                        texts[v]
                        if isinstance(texts, list) and type(v) is int and 0 <= v < len(texts)
                        else None
                    )
                cur = rec
                for k in path[:-1]:
                    cur = cur.setdefault(k, {})
                cur[path[-1]] = prefix + v if path == ["id"] and prefix and type(v) is str else v
            out.append(_rows_back(rec))
    out.sort(key=lambda r: str(r.get("id")))
    return out
