"""What the objectivity method is: its name, its signs and their Russian labels, the output's columns."""

from __future__ import annotations

import polars as pl

NAME = "objectivity"

SIGNS = (
    "bunching",
    "task_pattern",
    "person_fit",
    "similarity",
    "homogeneity",
    "journal",
    "journal_corr",
    "fluctuation",
    "vpr_vs_gia",
    "lenient_checking",
    "participation",
)

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "flagged": pl.Boolean(),
    "n_signs": pl.Int16(),
    "signs": pl.String(),
    "strongest_sign": pl.String(),
    "q_value": pl.Float64(),
    "evidence": pl.String(),
}

#: A sign whose record shows the same chart as another sign's record of the same procedure keeps
#: only a reference to it (``"chart_of": <that record's id>``): person-fit and the task pattern
#: both show the task profile, the journal correlation and the journal share the journal table.
CHART_TWINS = {"person_fit": "task_pattern", "journal_corr": "journal"}

_SIGN_RU = {
    "bunching": "скопление у порога отметки",
    "task_pattern": "трудные задания выполнены лучше лёгких",
    "person_fit": "нетипичные ответы (ошибки Гуттмана)",
    "similarity": "совпадающие наборы ответов",
    "homogeneity": "слишком однородные результаты",
    "journal": "повышение отметок относительно журнала",
    "journal_corr": "слабая связь с отметками по журналу",
    "fluctuation": "неожиданный рост результатов",
    "vpr_vs_gia": "результаты ВПР выше, чем по ГИА",
    "lenient_checking": "мягкая проверка заданий с развёрнутым ответом",
    "participation": "слабые ученики не участвовали",
}


def sign_label(sign_id: str) -> str:
    """Russian label of a sign id such as 'bunching:vpr:ma:4'."""
    parts = sign_id.split(":")
    if len(parts) != 4 or parts[2] == "all":
        return _SIGN_RU.get(parts[0], parts[0]) + (" (все ВПР школы)" if len(parts) > 1 else "")
    sign, procedure, subject, grade = parts
    return f"{_SIGN_RU.get(sign, sign)} ({procedure.upper()} {subject} {grade})"
