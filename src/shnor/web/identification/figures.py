"""Plotly figures and tables for the evidence pages, from plain numbers (pure functions, no queries).

The presenters (``presenters.py``) decide what to draw from a method's typed evidence; this module only
draws: a score histogram against its expected shape, a task profile against the region, the journal-vs-ВПР
shares and tables, a value-added interval, the caterpillar of school effects, the deficits chart, the
tests of the pooled lenient-checking and journal-correlation signs.
"""

from __future__ import annotations

from typing import Any

from shnor.core.evidence import as_dict
from shnor.core.labels import SUBJECT_LABELS

COLORS = {"school": "#c0392b", "region": "#2c3e50", "expected": "#2980b9", "grey": "#95a5a6"}
BASE_LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
    "height": 300,
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.25},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    # Russian numbers: a decimal comma, a space between thousands (axes and hover texts)
    "separators": ", ",
}


def evidence_of(data: Any) -> dict:
    """The ``evidence`` dict of an outcome's data row."""
    return as_dict(as_dict(data).get("evidence"))


def _layout(title: str, **extra: Any) -> dict:
    return {**BASE_LAYOUT, "title": {"text": title, "font": {"size": 13}}, **extra}


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def histogram_figure(
    observed: list,
    expected: list | None,
    scores: list | None = None,
    title: str = "",
    *,
    boundaries: list[tuple[float, str]] | None = None,
) -> dict:
    """Bars of the school's score counts with the expected (counterfactual) counts as a line; each mark
    boundary ``(x, label)`` (x: the score's position, between two bars) as a dashed vertical line."""
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
    lines = [(scores[0] + x if _num(scores[0]) else x, label) for x, label in boundaries or []]
    extra: dict[str, Any] = {}
    if lines:
        extra["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#b71c1c", "width": 2, "dash": "dash"},
            }
            for x, _ in lines
        ]
        extra["annotations"] = [
            {
                "x": x,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": label,
                "showarrow": False,
                "yanchor": "bottom",
            }
            for x, label in lines
        ]
    return {
        "data": data,
        "layout": _layout(
            title or "Распределение первичных баллов",
            xaxis={"title": {"text": "первичный балл"}},
            yaxis={"title": {"text": "участников"}},
            **extra,
        ),
    }


def task_profile_figure(
    school: list,
    region: list,
    tasks: list | None = None,
    expected: list | None = None,
    levels: list | None = None,
    title: str = "",
    on_level: bool = False,
) -> dict:
    """Task success (% of maximum) of the school against the region, per task; ``expected``: the
    school's pupils' expected profile given their totals (``on_level``: in schools of its level)."""
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
                "name": "ожидаемо при тех же суммах в школах того же уровня"
                if on_level
                else "ожидаемо при тех же суммах",
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


def deficits_figure(
    names: list[str],
    success: list[float | None],
    lower: list[float | None],
    upper: list[float | None],
    comparison: list[float | None],
) -> dict:
    """Success (% of maximum) with its interval per skill, against the comparison group's success."""
    return {
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


def _test_points(tests: Any, *values: str) -> tuple[list[str], list[Any], list[list[Any]]] | None:
    """A pooled sign's tests (columns: ``year``, ``subject``, ``grade``, ``n`` and ``values``) as
    points: their labels «математика, 4 кл., 2024», the pupils of each and the ``values`` columns;
    None when a column is missing, of another length or holds no number."""
    cols = as_dict(tests)
    keys = ("year", "subject", "grade", "n", *values)
    if not all(isinstance(cols.get(k), list) for k in keys):
        return None
    size = len(cols["year"])
    if size == 0 or any(len(cols[k]) != size for k in keys):
        return None
    if not all(_num(v) for k in values for v in cols[k]):
        return None
    labels = [
        f"{SUBJECT_LABELS.get(str(s), str(s))}, {g} кл., {y}"
        for y, s, g in zip(cols["year"], cols["subject"], cols["grade"], strict=True)
    ]
    return labels, list(cols["n"]), [list(cols[k]) for k in values]


def _tests_layout(title: str, y_title: str, n: int) -> dict:
    return _layout(
        title,
        height=340 + (60 if n > 8 else 0),
        xaxis={"title": {"text": "работа ВПР (предмет, класс, год)"}, "type": "category", "automargin": True},
        yaxis={"title": {"text": y_title}, "zeroline": True, "automargin": True},
    )


def lenient_tests_figure(tests: Any, title: str = "") -> dict | None:
    """The pooled lenient checking by test: the school's excess points per pupil on the tasks checked
    by criteria over pupils of the region with the same points on the one-point tasks (in schools of
    the same level), with ±2 standard errors, against zero — as in schools of the same level; the
    pupil-weighted mean over the tests as a dotted line. None without the tests' columns."""
    points = _test_points(tests, "excess", "se")
    if points is None:
        return None
    labels, pupils, (excess, se) = points
    total = sum(n for n in pupils if _num(n))
    mean = sum(e * n for e, n in zip(excess, pupils, strict=True) if _num(n)) / total if total else None
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": labels,
            "y": [0] * len(labels),
            "name": "как в ОО того же уровня",
            "line": {"color": COLORS["region"], "dash": "dash", "width": 1},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": labels,
            "y": excess,
            "name": "школа: избыток баллов на ученика (±2 стандартные ошибки)",
            "marker": {"color": COLORS["school"], "size": 9},
            "error_y": {
                "type": "data",
                "array": [2 * e for e in se],
                "color": COLORS["school"],
                "thickness": 1.5,
            },
            "customdata": [[n, 2 * e] for n, e in zip(pupils, se, strict=True)],
            "hovertemplate": "%{x}<br>участников: %{customdata[0]}<br>избыток: %{y:.2f} балла на ученика"
            "<br>±2 стандартные ошибки: %{customdata[1]:.2f}<extra></extra>",
        },
    ]
    if mean is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": labels,
                "y": [round(mean, 3)] * len(labels),
                "name": "в среднем по работам школы (с учётом числа участников)",
                "line": {"color": COLORS["expected"], "dash": "dot", "width": 2},
                "hovertemplate": "в среднем по работам школы: %{y:.2f} балла на ученика<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": _tests_layout(
            title or "Баллы за задания с развёрнутым ответом сверх ожидаемого, по работам",
            "баллов на ученика сверх ожидаемого",
            len(labels),
        ),
    }


def journal_tests_figure(tests: Any, title: str = "") -> dict | None:
    """The pooled journal correlation by test: the Spearman correlation of the school's journal marks
    with its pupils' ВПР scores against the one expected in schools of the same level. None without the
    tests' columns."""
    points = _test_points(tests, "spearman", "expected")
    if points is None:
        return None
    labels, pupils, (school, expected) = points
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": labels,
                "y": expected,
                "name": "ожидаемо в ОО того же уровня",
                "marker": {"color": COLORS["expected"], "symbol": "diamond-open", "size": 11},
                "hovertemplate": "%{x}<br>ожидаемо в ОО того же уровня: %{y:.2f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "x": labels,
                "y": school,
                "name": "школа",
                "marker": {"color": COLORS["school"], "size": 9},
                "customdata": pupils,
                "hovertemplate": "%{x}<br>участников: %{customdata}<br>корреляция в школе: %{y:.2f}"
                "<extra></extra>",
            },
        ],
        "layout": _tests_layout(
            title or "Связь отметок по журналу с баллами ВПР, по работам",
            "корреляция Спирмена: журнал и баллы ВПР",
            len(labels),
        ),
    }
