"""Plain-language Russian conclusions from an effectiveness summary, honest about their limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shnor.core.methods.effectiveness.schema import VARIABLE_LABELS


def _num(x: float | None, nd: int = 2) -> str:
    """A signed number with a decimal comma and a true minus sign; a dash for None."""
    if x is None:
        return "—"
    return f"{x:+.{nd}f}".replace(".", ",").replace("-", "−")


def _interval_sentences(summary: Mapping[str, Any]) -> list[str]:
    """The estimate with its interval, and what the interval allows one to say."""
    est, lo, hi = summary["estimate"], summary["lower"], summary["upper"]
    pct = f"{round(float(summary['level']) * 100)} %"
    ci = (
        f"[{_num(lo)}; {_num(hi)}]"
        if lo is not None and hi is not None
        else "(интервал не вычислен: мало школ)"
    )
    out = [f"Оценка эффекта сопровождения (разность разностей): {_num(est)} SD, {pct}-й интервал {ci}."]
    if lo is not None and hi is not None:
        if lo > 0:
            out.append(
                "Результаты школ с сопровождением выросли заметнее, чем у похожих школ без него; различие "
                "больше, чем можно объяснить случайными колебаниями."
            )
        elif hi < 0:
            out.append(
                "Результаты школ с сопровождением изменились хуже, чем у похожих школ без него; различие "
                "больше, чем можно объяснить случайными колебаниями. Стоит пересмотреть принятые меры."
            )
        else:
            half = (hi - lo) / 2
            out.append(
                "Данные не позволяют утверждать, что сопровождение изменило результаты: интервал включает "
                "ноль. Это не доказательство отсутствия эффекта — при таком числе школ эффект меньше "
                f"примерно {_num(half).lstrip('+')} SD обнаружить нельзя."
            )
    return out


def _regression_to_mean_sentence(rtm: Mapping[str, Any]) -> str:
    """Why raw growth of listed schools is partly regression to the mean, with the figures."""
    s = (
        f"Школы попадают в список по низким результатам, а низкий результат одного года отчасти случаен, "
        f"поэтому в следующие годы результаты таких школ обычно частично возвращаются к среднему и без "
        f"помощи («возврат к среднему»). Относительно последнего года до сопровождения результаты школ с "
        f"сопровождением изменились на {_num(rtm['supported_raw_change'])} SD"
    )
    if rtm.get("near_cut_change") is not None:
        ni = rtm.get("near_cut_interval") or [None, None]
        s += (
            f"; у {rtm['n_near_cut']} школ без сопровождения с такими же низкими результатами — на "
            f"{_num(rtm['near_cut_change'])} SD [{_num(ni[0])}; {_num(ni[1])}]"
        )
    if rtm.get("predicted_change_without_support") is not None:
        s += (
            f"; по всем школам без сопровождения ожидаемое изменение при таком исходном уровне "
            f"{_num(rtm['predicted_change_without_support'])} SD"
        )
    s += (
        ". Поэтому простой рост результатов ШНОР нельзя целиком приписывать сопровождению; приведённая выше "
        "оценка эффекта это учитывает, так как сравнивает с похожими школами, у которых тоже был низкий "
        "результат."
    )
    return s


def _exits_sentence(exits: Mapping[str, Any]) -> str | None:
    """How many listed schools left the list, or that the list's history is unknown."""
    if exits.get("available") and exits.get("on_list_before"):
        s = (
            f"Из {exits['on_list_before']} школ с сопровождением, бывших в списке перед его началом, вышли "
            f"из списка {exits['exited']}"
        )
        if exits.get("unsupported_on_list_before"):
            s += (
                f"; из {exits['unsupported_on_list_before']} школ списка без сопровождения — "
                f"{exits['unsupported_exited']}"
            )
        s += (
            ". Выход из списка сам по себе не доказывает действенность мер: часть школ выходит из него и "
            "без помощи."
        )
        return s
    if not exits.get("available"):
        return "Данных о составе списка по годам нет, поэтому выход из списка не оценивался."
    return None


def conclude(summary: Mapping[str, Any]) -> list[str]:
    """Plain-language Russian conclusions from an analysis summary (honest about its limits)."""
    out: list[str] = []
    n, nm = int(summary["n_supported"]), int(summary["n_matched"])
    post = summary["post_years"]
    years = f"{post[0]}–{post[-1]}" if len(post) > 1 else (str(post[0]) if post else "—")
    out.append(
        "Результаты измерены как средний стандартизованный балл учеников школы по оценочным процедурам "
        "(0 — средний уровень региона, 1 — одно стандартное отклонение балла ученика)."
    )
    if summary["estimate"] is None:
        out.append(
            f"Оценить эффект сопровождения нельзя: из {n} школ с сопровождением ни для одной не нашлось "
            "результатов до и после начала сопровождения и похожей школы без сопровождения."
        )
        return out
    traj = summary.get("trajectory") or []
    out.append(
        f"Сравнивались {nm} из {n} школ с сопровождением и {summary['n_controls']} похожих на них школ без "
        f"сопровождения (подобраны по результатам до начала сопровождения и по условиям работы) за {years} "
        f"гг."
    )
    if summary["n_unmatched"] or summary["no_data"]:
        out.append(
            f"Не вошли в сравнение: {summary['n_unmatched']} школ(ы) — не нашлось похожей школы без "
            f"сопровождения; {len(summary['no_data'])} — нет результатов до или после начала сопровождения. "
            "Вывод относится только к вошедшим школам."
        )
    out.extend(_interval_sentences(summary))
    rtm = summary.get("regression_to_mean") or {}
    if rtm.get("supported_raw_change") is not None:
        out.append(_regression_to_mean_sentence(rtm))
    pre = [t for t in traj if t.get("period") == "до" and t.get("difference") is not None]
    if len(pre) >= 2:
        gap = max(abs(t["difference"]) for t in pre)
        if gap > 0.1:
            out.append(
                f"До начала сопровождения результаты двух групп различались до {_num(gap).lstrip('+')} SD: "
                "подбор похожих школ неполный, оценку следует считать приблизительной."
            )
    if summary.get("unbalanced"):
        labels = ", ".join(VARIABLE_LABELS.get(v, v) for v in summary["unbalanced"])
        out.append(f"После подбора группы всё ещё заметно различаются по показателям: {labels}.")
    exits_sentence = _exits_sentence(summary.get("exits") or {})
    if exits_sentence is not None:
        out.append(exits_sentence)
    out.append(
        "Ограничения: это наблюдательное сравнение, а не эксперимент — школы без сопровождения подобраны по "
        "результатам и условиям работы, но могут отличаться тем, что в данных не отражено (например, сменой "
        "руководителя). Если в школах с сопровождением изменились условия проведения оценочных процедур "
        "(наблюдатели, перепроверка), изменение результатов может отражать объективность оценивания, а не "
        "обучение."
    )
    return out
