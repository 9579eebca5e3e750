"""Turn a method's evidence JSON into readable facts and Plotly figures (pure functions, no queries).

The methods' evidence differs by method; this module recognises the chart shapes it knows wherever
they sit in the evidence tree:

- a score histogram against its expected shape: ``{"histogram": {"score", "observed", "expected"}}``
  or ``{"histogram": [...], "expected": [...]}``;
- a task-success profile against the region: ``{"task_profile": {"task", "school", "region"}}`` or
  ``{"task_success": {"school", "region", "expected_same_total", "levels"}}``;
- the journal-vs-ВПР table: ``journal_table`` or ``journal_vs_vpr`` (4×4 counts) and the
  «понизили / подтвердили / повысили» shares;
- a value-added interval: a node with ``effect`` and ``interval`` ``[lower, upper]``.
"""

from __future__ import annotations

import json
import re
from typing import Any

SIGN_LABELS = {
    "bunching": "Скопление у порога отметки",
    "task_pattern": "Трудные задания выполнены лучше лёгких",
    "person_fit": "Нетипичные ответы (ошибки Гуттмана)",
    "similarity": "Совпадающие наборы ответов",
    "homogeneity": "Слишком однородные результаты",
    "journal": "Повышение отметок относительно журнала",
    "journal_corr": "Слабая связь с отметками по журналу",
    "fluctuation": "Неожиданный рост результатов",
    "vpr_vs_gia": "Результаты ВПР выше, чем по ГИА",
    "inflated_mean": "Завышенный средний балл",
    "journal_mismatch": "Несоответствие отметкам по журналу",
    "cohort_fall": "Резкое падение результатов параллели",
    "cohort_rise": "Резкий рост результатов параллели",
}
SUBJECT_LABELS = {
    "ru": "русский язык",
    "ma": "математика",
    "ok": "окружающий мир",
    "bi": "биология",
    "hi": "история",
    "ge": "география",
    "ob": "обществознание",
    "ph": "физика",
    "ch": "химия",
    "en": "английский язык",
}
PROCEDURE_LABELS = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ", "rdr": "РДР", "gia": "ГИА"}
KEY_LABELS = {
    "z": "z",
    "spearman": "корреляция Спирмена",
    "region_spearman": "корреляция в регионе",
    "raised": "повысили",
    "expected_raised": "ожидалось повысивших",
    "p_raised": "p (повышение)",
    "p_spearman": "p (корреляция)",
    "z_spearman": "z (корреляция)",
    "boundary": "граница",
    "at_or_above": "на границе и выше",
    "n_window": "в окне у границы",
    "observed_share": "доля наблюдаемая",
    "expected_share": "доля ожидаемая",
    "excess_hard_points": "избыток баллов за трудные задания",
    "excess_hard_points_per_pupil": "на ученика",
    "mean_guttman_errors": "ошибок Гуттмана в среднем",
    "expected_guttman_errors": "ожидалось",
    "identical_pairs": "совпадающих пар",
    "min_tail_probability": "мин. вероятность хвоста",
    "sd": "стандартное отклонение",
    "q": "q",
    "sign_p_value_at_most": "p признака не больше",
    "p_value_at_most": "p не больше",
    "mean": "среднее",
    "ci": "доверительный интервал",
    "n": "участников",
    "rule": "правило",
    "t": "t",
}
FACT_LABELS = {
    "statistic": "Статистика",
    "comparison_group": "Группа сравнения",
    "threshold": "Порог",
    "p_value": "p-значение",
    "q_value": "q-значение (поправка на множественность)",
    "p_combined": "Объединённое p-значение",
    "n": "Участников",
    "n_pupils": "Участников",
    "reliability": "Надёжность",
    "effect": "Эффект школы",
    "interval": "Интервал",
    "summary": "Вывод",
    "note": "Примечание",
    "reason": "Причина",
    "value": "Значение",
    "mean_z": "Средний z-балл",
    "cluster": "Кластер",
}
COLORS = {"school": "#c0392b", "region": "#2c3e50", "expected": "#2980b9", "grey": "#95a5a6"}
BASE_LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
    "height": 300,
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.25},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
}


def as_dict(value: Any) -> dict:
    """A JSON object from a dict or a JSON string (evidence is stored either way); {} otherwise."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def evidence_of(data: Any) -> dict:
    """The ``evidence`` dict of an outcome's data row."""
    return as_dict(as_dict(data).get("evidence"))


def sign_label(sign_id: str) -> str:
    """«Скопление у порога отметки (ВПР, математика, 4 кл.)» for ``bunching:vpr:ma:4``."""
    parts = str(sign_id).split(":")
    name = SIGN_LABELS.get(parts[0], parts[0])
    if len(parts) == 4 and parts[2] == "all":
        return f"{name} (все ВПР школы)"
    if len(parts) == 4:
        _, proc, subj, grade = parts
        return f"{name} ({PROCEDURE_LABELS.get(proc, proc.upper())}, {SUBJECT_LABELS.get(subj, subj)}, {grade} кл.)"
    return name


_SIGN_ID = re.compile(r"\b([a-z_]+):(vpr|oge|ege|rdr):([a-z]+):(\d+)\b")


def humanize(text: str) -> str:
    """Replace sign ids such as ``bunching:vpr:ma:4`` in a text by their Russian labels."""
    return _SIGN_ID.sub(lambda m: sign_label(m.group(0)), str(text))


def _layout(title: str, **extra: Any) -> dict:
    return {**BASE_LAYOUT, "title": {"text": title, "font": {"size": 13}}, **extra}


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def histogram_figure(
    observed: list, expected: list | None, scores: list | None = None, title: str = ""
) -> dict:
    """Bars of the school's score counts with the expected (counterfactual) counts as a line."""
    scores = scores or list(range(len(observed)))
    data = [
        {
            "type": "bar",
            "x": scores,
            "y": observed,
            "name": "школа (наблюдаемое)",
            "marker": {"color": COLORS["school"]},
        }
    ]
    if expected:
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": scores[: len(expected)],
                "y": expected,
                "name": "ожидаемое",
                "line": {"color": COLORS["expected"], "width": 2},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title or "Распределение первичных баллов",
            xaxis={"title": {"text": "первичный балл"}},
            yaxis={"title": {"text": "участников"}},
        ),
    }


def task_profile_figure(
    school: list,
    region: list,
    tasks: list | None = None,
    expected: list | None = None,
    levels: list | None = None,
    title: str = "",
) -> dict:
    """Task success (% of maximum) of the school against the region, per task."""
    n = max(len(school), len(region))
    tasks = tasks or [str(i + 1) for i in range(n)]
    if levels and len(levels) == len(tasks):
        tasks = [f"{t} ({lv})" if lv else str(t) for t, lv in zip(tasks, levels, strict=True)]
    data = [
        {"type": "bar", "x": tasks, "y": school, "name": "школа", "marker": {"color": COLORS["school"]}},
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": tasks,
            "y": region,
            "name": "регион",
            "line": {"color": COLORS["region"]},
        },
    ]
    if expected:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": tasks,
                "y": expected,
                "name": "ожидаемо при тех же суммах",
                "line": {"color": COLORS["expected"], "dash": "dot"},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title or "Выполнение заданий, % от максимума",
            xaxis={"title": {"text": "задание (уровень)"}, "type": "category"},
            yaxis={"title": {"text": "% выполнения"}, "range": [0, 100]},
        ),
    }


def interval_figure(
    effect: float, lower: float, upper: float, margin: float | None = 0.0, title: str = ""
) -> dict:
    """The school effect with its interval against zero (the regional average)."""
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [effect],
            "y": ["школа"],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [upper - effect],
                "arrayminus": [effect - lower],
                "thickness": 3,
                "width": 8,
                "color": COLORS["school"],
            },
            "marker": {"size": 12, "color": COLORS["school"]},
            "name": "эффект и интервал",
        }
    ]
    shapes = [
        {
            "type": "line",
            "x0": 0,
            "x1": 0,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": COLORS["region"], "dash": "dash"},
        }
    ]
    if _num(margin) and margin:
        shapes.append(
            {
                "type": "line",
                "x0": margin,
                "x1": margin,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": COLORS["grey"], "dash": "dot"},
            }
        )
    lo = min(lower, 0.0, margin if _num(margin) else 0.0)
    hi = max(upper, 0.0)
    pad = 0.1 * (hi - lo or 1.0)
    return {
        "data": data,
        "layout": _layout(
            title or "Добавленная ценность: эффект школы и интервал",
            height=200,
            shapes=shapes,
            xaxis={
                "title": {"text": "эффект, SD балла (0 — как в среднем по региону с тем же контекстом)"},
                "range": [lo - pad, hi + pad],
            },
            showlegend=False,
        ),
    }


def shares_figure(shares: dict, title: str = "") -> dict:
    """Grouped bars «понизили / подтвердили / повысили»: school against region."""
    cats = ["понизили", "подтвердили", "повысили"]
    data = []
    for who, color in (("school", COLORS["school"]), ("region", COLORS["region"])):
        part = as_dict(shares.get(who))
        if part:
            ys = [part.get(c) for c in cats]
            ys = [round(100 * y, 1) if _num(y) and y <= 1 else y for y in ys]
            data.append(
                {
                    "type": "bar",
                    "x": cats,
                    "y": ys,
                    "name": "школа" if who == "school" else "регион",
                    "marker": {"color": color},
                }
            )
    return {
        "data": data,
        "layout": _layout(
            title or "ВПР против отметок по журналу, %", yaxis={"title": {"text": "% участников"}}
        ),
    }


def _table_from_matrix(matrix: Any) -> dict | None:
    if not (isinstance(matrix, list) and matrix and all(isinstance(r, list) for r in matrix)):
        return None
    marks = [str(m) for m in range(2, 2 + len(matrix))]
    return {
        "head": ["журнал \\ ВПР", *[f"«{m}»" for m in marks[: len(matrix[0])]]],
        "rows": [[f"«{marks[i]}»", *row] for i, row in enumerate(matrix)],
    }


def journal_tables(node: dict) -> list[dict]:
    """The journal-vs-ВПР count tables (school and region) as head/rows dicts."""
    out = []
    if isinstance(node.get("rows"), list) and isinstance(node.get("head"), list):
        return [{"title": "Отметки по журналу и за ВПР", "head": node["head"], "rows": node["rows"]}]
    for who, name in (("school", "школа"), ("region", "регион")):
        t = _table_from_matrix(node.get(who))
        if t:
            out.append({"title": f"Журнал (строки) × ВПР (столбцы) — {name}", **t})
    return out


def _sign_context(path: list[str]) -> str:
    for p in reversed(path):
        if ":" in p:
            return sign_label(p)
    return ""


def charts_in(
    evidence: Any, *, title: str = "", _path: list[str] | None = None, _depth: int = 0
) -> list[dict]:
    """Every chart found in an evidence tree: ``{"title", "figure"}`` or ``{"title", "table"}`` items."""
    path = _path or []
    out: list[dict] = []
    if _depth > 6:
        return out
    if isinstance(evidence, list):
        for item in evidence:
            if isinstance(item, dict):
                out += charts_in(item, title=title, _path=[*path, str(item.get("id", ""))], _depth=_depth + 1)
        return out
    if not isinstance(evidence, dict):
        return out
    ctx = title or _sign_context(path)
    suffix = f": {ctx}" if ctx else ""
    hist = evidence.get("histogram")
    if isinstance(hist, dict) and isinstance(hist.get("observed"), list):
        out.append(
            {
                "title": "Распределение баллов" + suffix,
                "figure": histogram_figure(hist["observed"], hist.get("expected"), hist.get("score")),
            }
        )
    elif (
        isinstance(hist, list) and isinstance(evidence.get("expected"), list) and path and path[-1] == "chart"
    ):
        out.append(
            {"title": "Распределение баллов" + suffix, "figure": histogram_figure(hist, evidence["expected"])}
        )
    for key in ("task_profile", "task_success"):
        prof = evidence.get(key)
        if (
            isinstance(prof, dict)
            and isinstance(prof.get("school"), list)
            and isinstance(prof.get("region"), list)
        ):
            out.append(
                {
                    "title": "Профиль выполнения заданий" + suffix,
                    "figure": task_profile_figure(
                        prof["school"],
                        prof["region"],
                        prof.get("task"),
                        prof.get("expected_same_total"),
                        prof.get("levels"),
                    ),
                }
            )
    for key in ("journal_table", "journal_vs_vpr"):
        table = evidence.get(key)
        if isinstance(table, dict):
            out += [{"title": t.pop("title") + suffix, "table": t} for t in journal_tables(table)]
        elif isinstance(table, list):
            t = _table_from_matrix(table)
            if t:
                out.append({"title": "Отметки по журналу и за ВПР" + suffix, "table": t})
    shares = evidence.get("shares")
    if isinstance(shares, dict) and isinstance(shares.get("school"), dict):
        out.append({"title": "Понизили / подтвердили / повысили" + suffix, "figure": shares_figure(shares)})
    interval = evidence.get("interval")
    if (
        _num(evidence.get("effect"))
        and isinstance(interval, list)
        and len(interval) == 2
        and all(_num(v) for v in interval)
    ):
        out.append(
            {
                "title": "Добавленная ценность (эффект школы с учётом контекста)",
                "figure": interval_figure(
                    evidence["effect"], interval[0], interval[1], evidence.get("margin")
                ),
            }
        )
    for key, value in evidence.items():
        if key in {
            "histogram",
            "task_profile",
            "task_success",
            "journal_table",
            "journal_vs_vpr",
            "shares",
            "region_bunching",
            "model",
            "caterpillar",
        }:
            continue
        if isinstance(value, dict | list):
            sub = [*path, key]
            if isinstance(value, dict) and key == "value_added" and path and path[-1] == "methods":
                continue  # the same interval is repeated at the top of the low-results evidence
            out += charts_in(value, title=title, _path=sub, _depth=_depth + 1)
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        if abs(value) < 0.001 and value != 0:
            return f"{value:.2e}"
        return f"{value:.4g}".replace(".", ",")
    if isinstance(value, list) and len(value) == 2 and all(_num(v) for v in value):
        return f"[{_fmt(value[0])}; {_fmt(value[1])}]"
    if isinstance(value, dict):
        return "; ".join(
            f"{KEY_LABELS.get(k, k)}: {_fmt(v)}"
            for k, v in value.items()
            if v is not None and (not isinstance(v, dict | list) or (isinstance(v, list) and len(v) == 2))
        )
    return str(value)


def facts(evidence: dict) -> list[tuple[str, str]]:
    """The headline facts of an evidence dict (statistic, comparison group, threshold, p/q, n …)."""
    out = []
    for key, label in FACT_LABELS.items():
        value = evidence.get(key)
        if value is None or value == "" or (isinstance(value, dict) and not value):
            continue
        out.append((label, _fmt(value)))
    return out


def sign_blocks(evidence: dict) -> list[dict]:
    """Objectivity evidence as one block per tested sign (significant ones first) with facts and charts."""
    signs = evidence.get("signs")
    if not isinstance(signs, list):
        return []
    significant = set(evidence.get("significant") or [])
    by_id = {r.get("id"): r for r in signs if isinstance(r, dict)}
    threshold = evidence.get("threshold")  # the school's, for every sign (older runs: on each record)
    blocks = []
    for rec in signs:
        if not isinstance(rec, dict) or not rec.get("tested"):
            continue
        sid = str(rec.get("id", ""))
        chart = rec.get("chart") or as_dict(by_id.get(rec.get("chart_of"))).get("chart") or {}
        blocks.append(
            {
                "id": sid,
                "title": sign_label(sid),
                "significant": sid in significant,
                "facts": facts({**rec, "threshold": rec.get("threshold") or threshold}),
                "charts": charts_in(chart, _path=["chart"]),
            }
        )
    blocks.sort(key=lambda b: (not b["significant"], b["title"]))
    return blocks


def caterpillar_figure(points: list[dict], title: str = "") -> dict:
    """Caterpillar plot: every school's effect with its interval, ordered; flagged schools in red."""
    points = sorted(points, key=lambda p: p["effect"])
    xs = list(range(1, len(points) + 1))
    colors = [COLORS["school"] if p.get("low") else COLORS["region"] for p in points]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": xs,
                "y": [p["effect"] for p in points],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [p["upper"] - p["effect"] for p in points],
                    "arrayminus": [p["effect"] - p["lower"] for p in points],
                    "thickness": 1,
                    "width": 0,
                    "color": "#7f8c8d",
                },
                "marker": {"size": 5, "color": colors},
                "text": [p["name"] for p in points],
                "customdata": [p.get("url", "") for p in points],
                "hovertemplate": "%{text}<br>эффект %{y:.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            title or "Эффекты школ (добавленная ценность) с интервалами",
            height=360,
            xaxis={"title": {"text": "школы, по возрастанию эффекта"}},
            yaxis={"title": {"text": "эффект, SD"}, "zeroline": True},
            showlegend=False,
        ),
    }


def marker_blocks(data: dict) -> list[dict]:
    """ФИОКО markers (``data["markers"]``: one row per marker with its own evidence) as sign-like blocks."""
    markers = data.get("markers")
    if not isinstance(markers, list):
        return []
    blocks = []
    for m in markers:
        if not isinstance(m, dict):
            continue
        name = str(m.get("marker", ""))
        subj = SUBJECT_LABELS.get(str(m.get("subject", "")), m.get("subject", ""))
        where = ", ".join(
            str(x)
            for x in (
                PROCEDURE_LABELS.get(str(m.get("procedure", "")), ""),
                subj,
                f"{m['grade']} кл." if m.get("grade") else "",
            )
            if x
        )
        evidence = as_dict(m.get("evidence"))
        row_facts = [
            (label, _fmt(m[key]))
            for key, label in (("value", "Значение"), ("threshold", "Порог"))
            if m.get(key) is not None
        ]
        blocks.append(
            {
                "id": name,
                "title": SIGN_LABELS.get(name, name) + (f" ({where})" if where else ""),
                "significant": True,
                "facts": row_facts + [f for f in facts(evidence) if f[0] not in {"Значение", "Порог"}],
                "charts": charts_in(evidence, _path=["marker"]),
            }
        )
    return blocks


def _pct1(v: Any) -> str:
    return "—" if not _num(v) else f"{100 * float(v):.1f}".replace(".", ",")


def deficit_blocks(data: dict, *, limit: int = 15) -> tuple[list[tuple[str, str]], list[dict]]:
    """Facts and charts of a school's skill deficits: success with its interval against the comparison group."""
    rows = [r for r in data.get("deficits", []) if isinstance(r, dict)]
    school = [r for r in rows if r.get("unit") == "school"][:limit]
    facts = [
        ("Дефицитов на уровне школы", str(data.get("school_deficits", len(school)))),
        ("Дефицитов в классах", str(data.get("class_deficits", 0))),
        (
            "Правило",
            "успешность школы значимо ниже группы сравнения (верхняя граница интервала ниже её уровня)",
        ),
    ]
    if not school:
        return facts, []
    names = [
        f"{r.get('element_label') or r.get('element')} ({SUBJECT_LABELS.get(str(r.get('subject')), r.get('subject'))}, "
        f"{r.get('grade')} кл.)"
        for r in school
    ]
    success = [100 * float(r["success"]) if _num(r.get("success")) else None for r in school]
    lower = [100 * float(r["lower"]) if _num(r.get("lower")) else None for r in school]
    upper = [100 * float(r["upper"]) if _num(r.get("upper")) else None for r in school]
    comparison = [
        100 * float(r["comparison_success"]) if _num(r.get("comparison_success")) else None for r in school
    ]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "y": names,
                "x": success,
                "name": "школа",
                "marker": {"color": COLORS["school"], "size": 10},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        None if u is None or s is None else u - s for u, s in zip(upper, success, strict=True)
                    ],
                    "arrayminus": [
                        None if lo is None or s is None else s - lo
                        for lo, s in zip(lower, success, strict=True)
                    ],
                },
            },
            {
                "type": "scatter",
                "mode": "markers",
                "y": names,
                "x": comparison,
                "name": "группа сравнения",
                "marker": {"color": COLORS["expected"], "symbol": "diamond", "size": 10},
            },
        ],
        "layout": _layout(
            "Успешность, % от максимума, с 95 % интервалом",
            xaxis={"title": {"text": "%"}, "range": [0, 100]},
            yaxis={"automargin": True},
            height=140 + 28 * len(names),
        ),
    }
    table = {
        "head": [
            "Умение / элемент",
            "Школа, %",
            "Интервал, %",
            "Сравнение, %",
            "Разрыв, п.п.",
            "Тема рекомендаций",
        ],
        "rows": [
            [
                n,
                _pct1(r.get("success")),
                f"{_pct1(r.get('lower'))}–{_pct1(r.get('upper'))}",
                _pct1(r.get("comparison_success")),
                _pct1(r.get("gap")),
                r.get("topic") or "—",
            ]
            for n, r in zip(names, school, strict=True)
        ],
    }
    return facts, [
        {"title": "Дефициты умений", "figure": figure},
        {"title": "Дефициты умений (таблица)", "table": table},
    ]
