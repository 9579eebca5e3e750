"""The objectivity evidence in plain Russian: one :class:`PlainSign` per tested sign — what was expected,
what was seen, how unusual it is — with ONE rule of «выделяется» for every sign and numbers in the Russian
format (decimal comma, grouped thousands, never e-notation).

A sign is significant when its q-value (or its p-value where the method stored no q) is at most the
threshold stated in the evidence; the badge and the sentence both come from :attr:`PlainSign.significant`,
so no sign is called significant above the threshold printed next to it. A sign is a reason to look at
the results closely, never a proof of a violation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shnor.core.evidence._read import as_dict, dicts, is_num
from shnor.core.evidence.objectivity import COMPACT_FORMATS, ObjectivityEvidence, SignRecord, records_of
from shnor.core.evidence.objectivity_format import expand_pooled
from shnor.core.labels import OBJECTIVITY_SIGN_LABELS, sign_label

#: The level used when the evidence states no threshold at all (older stored runs): the method's q level.
DEFAULT_LEVEL = 0.05
NBSP = "\u00a0"


# ---------------------------------------------------------------------------------------------
# numbers


def ru_number(x: float | int | None, digits: int = 2) -> str:
    """«1 234,56»: decimal comma, thousands grouped by a non-breaking space, trailing zeros dropped, never
    e-notation; a non-zero value that rounds to zero is «< 0,01» (for ``digits=2``); None is «—»."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    step = 10.0**-digits
    if x != 0 and abs(x) < step / 2:
        bound = f"{step:.{digits}f}".replace(".", ",")
        return f"< {bound}" if x > 0 else f"> −{bound}"
    text = f"{abs(x):,.{digits}f}" if digits > 0 else f"{abs(x):,.0f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    out = whole.replace(",", NBSP) + ("," + frac if frac else "")
    return ("−" if x < 0 and out.strip("0,") else "") + out


def _readable(n: float) -> int:
    """1/p rounded to one significant digit (20, 100, 5 000 …)."""
    exp = 10 ** int(math.floor(math.log10(n)))
    return int(round(n / exp) * exp)


def rarity(p: float) -> str:
    """How often a result like this happens in a school without any problem, from its p-value."""
    if p >= 0.05:
        n = max(1, round(1 / p)) if p > 0 else 1
        if n <= 1:
            return "обычное дело: так бывает у большинства школ"
        return f"обычное дело: так бывает примерно у каждой {n}-й школы"
    if p < 1e-6:
        return "реже 1 случая на миллион школ"
    return f"примерно 1 случай на {ru_number(_readable(1 / p), 0)} школ"


# ---------------------------------------------------------------------------------------------
# the plain sign


@dataclass(frozen=True)
class PlainChart:
    """Plain numbers to draw: bars (``observed``) with an expected line, and the mark boundaries as
    vertical lines at ``boundaries`` (x position, label)."""

    title: str
    labels: list[str]
    observed: list[float]
    expected: list[float] | None = None
    boundaries: list[tuple[float, str]] = field(default_factory=list)
    x_label: str = ""
    y_label: str = ""
    observed_name: str = "школа"
    expected_name: str = "ожидалось"


@dataclass(frozen=True)
class PlainSign:
    """One tested sign in words: title, whether it stands out, one to three sentences, p and threshold."""

    code: str
    title: str
    significant: bool
    sentences: list[str]
    p_value: float | None
    threshold: float | None
    chart: PlainChart | None = None
    #: what was compared with the threshold: «q» or «p»
    compared: str = "p"
    value: float | None = None

    @property
    def badge(self) -> str:
        """The badge text: the same decision as the sentences."""
        return "выделяется" if self.significant else "не выделяется"


def _num(v: Any) -> float | None:
    return float(v) if is_num(v) else None


def _threshold(rec: SignRecord, ev: ObjectivityEvidence) -> tuple[float | None, float | None]:
    """(p threshold, q threshold) stated for the record, else for the school."""
    t = rec.headline.threshold or ev.threshold
    if isinstance(t, Mapping):
        by_sign = t.get("sign_p_value_at_most")
        if isinstance(by_sign, Mapping):  # weighted Bonferroni (version 2026.3): each sign its own
            by_sign = by_sign.get(rec.sign or rec.id.split(":")[0])
        p = _num(by_sign) or _num(t.get("p_value_at_most"))
        return p, _num(t.get("q"))
    n = _num(t)
    return n, None


def decide(rec: SignRecord, ev: ObjectivityEvidence) -> tuple[bool, float | None, float, str]:
    """(significant, the value compared, the threshold, «q»/«p»): q ≤ its threshold where the record has a
    q-value, else p ≤ the p threshold (the q level, or 0,05, where none is stated)."""
    p_thr, q_thr = _threshold(rec, ev)
    q = _num(rec.headline.q_value)
    if q is not None:
        thr = q_thr if q_thr is not None else (p_thr if p_thr is not None else DEFAULT_LEVEL)
        return q <= thr, q, thr, "q"
    p = _num(rec.headline.p_value)
    thr = p_thr if p_thr is not None else (q_thr if q_thr is not None else DEFAULT_LEVEL)
    return (p is not None and p <= thr), p, thr, "p"


_MARK = re.compile(r"(\d)\D*$")


def _mark(boundary: Any) -> str | None:
    """The mark of a boundary code: ``min_3`` → «3», ``2/3`` → «3»."""
    m = _MARK.search(str(boundary or ""))
    return m.group(1) if m else None


def _points(n: float) -> str:
    k = int(n) if float(n).is_integer() else None
    if k is None:
        return f"{ru_number(n, 1)} балла"
    if k % 10 == 1 and k % 100 != 11:
        word = "балл"
    elif k % 10 in (2, 3, 4) and k % 100 not in (12, 13, 14):
        word = "балла"
    else:
        word = "баллов"
    return f"{k} {word}"


def _pct(share: float) -> str:
    return f"{ru_number(100 * share, 0)} %"


def _works(n: Any) -> str:
    """«1 работе», «5 работам» (dative, after «по»)."""
    k = int(n) if is_num(n) else 0
    return f"{k} работе" if k % 10 == 1 and k % 100 != 11 else f"{k} работам"


def _years_words(years: Any) -> str:
    """« за 2022, 2023 и 2024 годы» / « за 2024 год» / "" for the years a pooled sign used."""
    ys = [int(y) for y in years] if isinstance(years, list) else []
    if not ys:
        return ""
    if len(ys) == 1:
        return f" за {ys[0]} год"
    return " за " + ", ".join(str(y) for y in ys[:-1]) + f" и {ys[-1]} годы"


def _mark_words(stat: Mapping[str, Any]) -> str:
    mark = _mark(stat.get("boundary"))
    return f" «{mark}»" if mark else ""


def _boundary_words(stat: Mapping[str, Any], cut: Any, *, instrumental: bool = False) -> str:
    """«порог отметки «3» (6 баллов)»; ``instrumental``: «порогом …» (after «рядом с»)."""
    mark = _mark(stat.get("boundary"))
    word = "порогом" if instrumental else "порог"
    where = f"{word} отметки «{mark}»" if mark else f"{word} отметки"
    return f"{where} ({_points(cut)})" if is_num(cut) else where


def _sentences(code: str, stat: Mapping[str, Any], raw: Mapping[str, Any]) -> list[str]:
    """What was expected and what was seen, per sign, from the statistic's numbers."""
    g = stat.get
    cut = (dicts(raw.get("boundaries")) or [{}])[0].get("cut")
    if code == "bunching" and is_num(g("expected_at_or_above")):
        return [
            "По всем работам школы за несколько лет ожидалось, что ровно на пороге отметки"
            f"{_mark_words(stat)} окажутся примерно {ru_number(g('expected_at_or_above'), 0)} из "
            f"{ru_number(g('n_window'), 0)} участников с баллами рядом с порогом.",
            f"Оказалось {ru_number(g('at_or_above'), 0)}.",
        ]
    if code == "bunching" and is_num(g("n_window")):
        n = float(stat["n_window"])
        exp = _num(g("expected_share"))
        obs = _num(g("observed_share"))
        out = []
        if exp is not None:
            out.append(
                f"Среди {ru_number(n, 0)} участников с баллами рядом с "
                f"{_boundary_words(stat, cut, instrumental=True)} "
                f"ожидалось на самом пороге примерно {ru_number(exp * n, 0)} ({_pct(exp)}), "
                "как в школах того же уровня."
            )
        if obs is not None or is_num(g("at_or_above")):
            seen = _num(g("at_or_above"))
            seen_words = ru_number(seen, 0) if seen is not None else ru_number((obs or 0) * n, 0)
            out.append(f"Оказалось {seen_words}" + (f" ({_pct(obs)})." if obs is not None else "."))
        return out
    if code == "task_pattern" and is_num(g("excess_hard_points")):
        x = float(stat["excess_hard_points"])
        more = "больше" if x >= 0 else "меньше"
        per = _num(g("excess_hard_points_per_pupil"))
        return [
            "Ожидалось, что за трудные задания ученики школы наберут столько же баллов, сколько ученики "
            "других школ региона с тем же общим баллом.",
            f"Они набрали на {ru_number(abs(x), 1)} балла {more}"
            + (f" (в среднем {ru_number(abs(per), 2)} на ученика)." if per is not None else "."),
        ]
    if code == "person_fit" and is_num(g("mean_guttman_errors")):
        return [
            "Ожидалось, что ученики школы ошибаются в лёгких заданиях, решив трудные, так же часто, как "
            f"ученики региона с тем же общим баллом: в среднем {ru_number(g('expected_guttman_errors'), 1)} "
            "таких нестыковки на работу.",
            f"В школе — {ru_number(g('mean_guttman_errors'), 1)}.",
        ]
    if code == "similarity" and is_num(g("pupils_sharing_a_vector")):
        return [
            "Ожидалось, что одинаковые наборы баллов за задания встречаются не чаще, чем у учеников "
            "региона с тем же общим баллом.",
            f"В школе {ru_number(g('pupils_sharing_a_vector'), 0)} участников написали работу с одинаковым "
            f"набором баллов, совпадающих пар — {ru_number(g('identical_pairs'), 0)}.",
        ]
    if code == "homogeneity" and is_num(g("sd")):
        return [
            "Ожидалось, что баллы учеников разойдутся так же, как в регионе при таком же среднем балле: "
            f"разброс (стандартное отклонение) около {ru_number(g('expected_sd'), 1)} балла.",
            f"В школе разброс {ru_number(g('sd'), 1)} балла.",
        ]
    if code == "participation" and is_num(g("absent_share")):
        exp = _num(g("expected_share"))
        out = [
            "Ожидалось, что в этом году на ВПР не придут примерно "
            + (_pct(exp) if exp is not None else "столько же")
            + " учеников — как в прошлые годы в этой школе и в регионе; а если не пришли слабые, "
            "результаты школы растут."
        ]
        out.append(
            f"Не пришли {_pct(float(stat['absent_share']))} ({ru_number(g('absent'), 0)} из "
            f"{ru_number(g('rows'), 0)} учеников в списках)"
            + (
                f"; положение школы относительно региона изменилось на {ru_number(g('z_gain'), 1)} "
                "стандартной ошибки."
                if is_num(g("z_gain"))
                else "."
            )
        )
        return out
    if code == "lenient_checking" and is_num(g("excess_points")) and g("anchor") == "one_point":
        x = float(stat["excess_points"])
        more = "больше" if x >= 0 else "меньше"
        return [
            "Ожидалось, что за задания, которые проверяются по критериям, ученики школы получат столько "
            "же баллов, сколько ученики других школ региона того же уровня с тем же баллом за задания "
            "с кратким ответом (их проверка не зависит от мягкости), — по всем работам ВПР школы"
            + _years_words(g("years"))
            + ".",
            f"Они получили на {ru_number(abs(x), 1)} балла {more}; полных баллов — "
            f"{ru_number(float(g('expected_full_marks') or 0) + float(g('excess_full_marks') or 0), 0)} "
            f"при ожидаемых {ru_number(g('expected_full_marks'), 0)}.",
        ]
    if code == "lenient_checking" and is_num(g("excess_points")):
        x = float(stat["excess_points"])
        more = "больше" if x >= 0 else "меньше"
        return [
            "Ожидалось, что за задания, которые проверяются по критериям, ученики школы получат столько "
            "же баллов и столько же полных баллов, сколько ученики других школ региона "
            "с тем же общим баллом.",
            f"Они получили на {ru_number(abs(x), 1)} балла {more}; полных баллов — "
            f"{ru_number(float(g('expected_full_marks') or 0) + float(g('excess_full_marks') or 0), 0)} "
            f"при ожидаемых {ru_number(g('expected_full_marks'), 0)}.",
        ]
    if code == "journal" and is_num(g("raised")):
        return [
            "Ожидалось, что отметку за ВПР выше отметки по журналу получат примерно "
            f"{ru_number(g('expected_raised'), 0)} учеников — как в школах того же уровня "
            "с теми же отметками по журналу.",
            f"Получили {ru_number(g('raised'), 0)}.",
        ]
    if code == "journal_corr" and is_num(g("spearman")) and is_num(g("tests")):
        return [
            "Ожидалось, что отметки по журналу и баллы ВПР согласуются так же, как в школах того же "
            "уровня в тех же работах: связь (коэффициент корреляции) около "
            f"{ru_number(g('expected_spearman_at_level'), 2)} в среднем по {_works(g('tests'))} школы"
            + _years_words(g("years"))
            + ".",
            f"В школе — {ru_number(g('spearman'), 2)}; чем меньше, тем хуже отметки по журналу "
            "предсказывают баллы за работу.",
        ]
    if code == "journal_corr" and is_num(g("spearman")):
        exp = g("expected_spearman_at_level", g("region_spearman"))
        return [
            "Ожидалось, что отметки по журналу и баллы ВПР согласуются так же, как в школах того же "
            f"уровня: связь (коэффициент корреляции) около {ru_number(exp, 2)}.",
            f"В школе — {ru_number(g('spearman'), 2)}; чем меньше, тем хуже отметки по журналу "
            "предсказывают баллы за работу.",
        ]
    if code == "fluctuation" and is_num(g("spike_sd")):
        return [
            "Ожидалось, что положение школы относительно региона меняется от года к году не сильнее, чем "
            "у других школ региона.",
            f"В прошлом году результаты поднялись на {ru_number(g('spike_sd'), 2)} стандартного отклонения "
            f"выше соседних лет, за год изменение — {ru_number(g('gain_sd'), 2)}.",
        ]
    if code == "fluctuation" and is_num(g("gain_points_pct")):
        return [
            "Ожидалось, что результат школы относительно региона меняется от года к году не сильнее, "
            "чем у других школ региона.",
            f"Изменение за год — {ru_number(g('gain_points_pct'), 1)} процентного пункта "
            "от максимального балла.",
        ]
    if code == "vpr_vs_gia" and is_num(g("vpr_standing_sd")):
        return [
            "Ожидалось, что по ВПР школа стоит относительно региона так же, как школы с тем же положением "
            f"по ОГЭ и ЕГЭ: {ru_number(g('expected_vpr_standing_sd'), 2)} стандартного отклонения.",
            f"По ВПР — {ru_number(g('vpr_standing_sd'), 2)}.",
        ]
    return ["Результат школы сравнивался с результатами похожих школ и учеников региона."]


def _histogram_chart(rec: SignRecord, raw: Mapping[str, Any], title: str) -> PlainChart | None:
    h = rec.charts.histogram
    if h is None:
        return None
    obs = [float(v) if is_num(v) else 0.0 for v in h.observed]
    scores = list(h.scores) if h.scores is not None else list(range(len(obs)))
    exp = [float(v) if is_num(v) else 0.0 for v in h.expected] if h.expected is not None else None
    stat = rec.headline.statistic if isinstance(rec.headline.statistic, Mapping) else {}
    lines: list[tuple[float, str]] = []
    for b in dicts(raw.get("boundaries")) or [dict(stat)]:
        cut = b.get("cut")
        mark = _mark(b.get("boundary"))
        if is_num(cut) and cut in scores:
            lines.append((scores.index(cut) - 0.5, f"отметка «{mark}» от {_points(cut)}"))
    return PlainChart(
        title=title,
        labels=[str(s) for s in scores],
        observed=obs,
        expected=exp,
        boundaries=lines,
        x_label="первичный балл",
        y_label="участников",
    )


def _profile_chart(rec: SignRecord, title: str) -> PlainChart | None:
    if not rec.charts.profiles:
        return None
    p = rec.charts.profiles[0]
    tasks = list(p.tasks) if p.tasks is not None else list(range(1, len(p.school) + 1))
    levels = list(p.levels) if p.levels is not None else [""] * len(tasks)
    labels = [f"{t}" + (f" ({lv})" if lv else "") for t, lv in zip(tasks, levels, strict=False)]
    exp = p.expected if p.expected is not None else p.region
    return PlainChart(
        title=title,
        labels=labels,
        observed=[float(v) if is_num(v) else 0.0 for v in p.school],
        expected=[float(v) if is_num(v) else 0.0 for v in exp],
        x_label="задание (Б — базовое, П — повышенное, В — высокое)",
        y_label="выполнение, % от максимума",
        expected_name="ученики региона с тем же общим баллом"
        + (" в школах того же уровня" if p.on_level and p.expected is not None else ""),
    )


def _title(rec: SignRecord) -> str:
    if rec.id.endswith(":pooled"):
        name = OBJECTIVITY_SIGN_LABELS.get(rec.sign or rec.id.split(":")[0], rec.sign)
        return f"{name} (все ВПР школы за несколько лет)"
    return sign_label(rec.id)


def plain_sign(
    rec: SignRecord, ev: ObjectivityEvidence, *, twin: SignRecord | None = None, raw: Any = None
) -> PlainSign:
    """One tested record in words (``twin``: the record whose chart it shares; ``raw``: its stored JSON)."""
    raw_d = as_dict(raw)
    code = rec.sign or rec.id.split(":")[0]
    significant, value, thr, compared = decide(rec, ev)
    stat = rec.headline.statistic if isinstance(rec.headline.statistic, Mapping) else {}
    sentences = _sentences(code, stat, raw_d)
    p = _num(rec.headline.p_value)
    judged = value if value is not None else p
    if judged is not None:
        verdict = "Это выделяется" if significant else "Это не выделяется"
        sentences.append(f"{verdict}: в школе без особенностей такой результат — {rarity(judged)}.")
    source = rec if rec.charts else (twin or rec)
    chart = _histogram_chart(source, raw_d, "Распределение первичных баллов") or _profile_chart(
        source, "Выполнение заданий"
    )
    return PlainSign(rec.id, _title(rec), significant, sentences, p, thr, chart, compared, value)


def pooled_records(evidence: Any) -> list[tuple[SignRecord, dict[str, Any]]]:
    """The pooled school-level tests (``evidence.pooled_signs``: bunching, fluctuation) as records."""
    pooled = as_dict(as_dict(evidence).get("pooled_signs"))
    v2 = as_dict(evidence).get("format") in COMPACT_FORMATS
    out = []
    for name, node in pooled.items():
        d = as_dict(node)
        if d and v2:
            d = expand_pooled(d, name)
        if d:
            d = {"id": f"{name}:pooled", "sign": name, **d}
            out.append((SignRecord.parse(d), d))
    return out


def plain_signs(ev: ObjectivityEvidence, *, raw: Any = None) -> list[PlainSign]:
    """One plain sign per tested record, significant ones first; ``raw`` (the stored ``evidence`` object)
    adds the mark boundaries of the histograms and the pooled school-level tests."""
    by_id = {r.id: r for r in ev.signs}
    raws = {str(d.get("id")): d for d in records_of(raw)}
    out = [
        plain_sign(r, ev, twin=by_id.get(r.chart_of) if r.chart_of else None, raw=raws.get(r.id, {}))
        for r in ev.signs
        if r.tested
    ]
    out += [plain_sign(r, ev, raw=d) for r, d in pooled_records(raw) if r.tested]
    out += _combined(ev, raw, {s.code.split(":")[0] for s in out if s.significant})
    out.sort(key=lambda s: (not s.significant, s.title))
    return out


def _combined(ev: ObjectivityEvidence, raw: Any, shown: set[str]) -> list[PlainSign]:
    """A sign significant only over all the school's tests together (``sign_p_values``), none alone."""
    out = []
    for name, p in as_dict(as_dict(raw).get("sign_p_values")).items():
        if name in shown or not is_num(p):
            continue
        rec = SignRecord(id=f"{name}:combined", sign=name, tested=True)
        significant, _, thr, _ = decide(rec, ev)
        significant = float(p) <= thr
        if not significant:
            continue
        title = f"{OBJECTIVITY_SIGN_LABELS.get(name, name)} (все работы школы вместе)"
        sentences = [
            "По отдельности ни одна работа школы не выделяется, но вместе они отклоняются от ожидаемого "
            "в одну сторону.",
            f"Это выделяется: в школе без особенностей такой результат — {rarity(float(p))}.",
        ]
        out.append(PlainSign(rec.id, title, True, sentences, float(p), thr, None, "p", float(p)))
    return out


def plain_signs_of(data: Any) -> list[PlainSign]:
    """Plain signs of an outcome's stored ``data`` (the result row with its ``evidence``)."""
    return plain_signs(ObjectivityEvidence.parse(data), raw=as_dict(as_dict(data).get("evidence")))


def signs_summary(signs: Sequence[PlainSign]) -> str:
    """«Выделяются 2 признака из 9 проверенных.»"""
    n = sum(s.significant for s in signs)
    return f"Выделяются признаков: {n} из {len(signs)} проверенных."
