"""One presenter per method: from a method's typed evidence (``core.evidence``) to what the school card,
the sign blocks, the list pages and the API show — the label, the facts (statistic, comparison group,
threshold, p/q, n …), the sign blocks and the charts.

``present(method, data=..., flagged=..., label=...)`` looks the presenter up by method; no page reads the
evidence JSON by guessed keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shnor.core import evidence as E
from shnor.core.evidence.base import Charts, Headline
from shnor.core.evidence.plain import PlainSign, plain_signs, pooled_records, ru_number
from shnor.core.labels import (
    CATEGORY_SHORT_LABELS,
    PROCEDURE_LABELS,
    SIGN_LABELS,
    SUBJECT_LABELS,
    TRACK_LABELS,
    sign_label,
)
from shnor.core.recommendations.library import topic_titles
from shnor.web.identification import figures as fg

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

Fact = tuple[str, str]


@dataclass(frozen=True)
class Presentation:
    """What the pages show of one outcome: its label, facts, sign blocks and charts."""

    label: str
    facts: list[Fact] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    signs: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# words


_SIGN_ID = re.compile(r"\b([a-z_]+):(vpr|oge|ege|rdr):([a-z]+):(\d+)\b")


def humanize(text: str) -> str:
    """Replace sign ids such as ``bunching:vpr:ma:4`` in a text by their Russian labels."""
    return _SIGN_ID.sub(lambda m: sign_label(m.group(0)), str(text))


def fmt(value: Any) -> str:
    """A value as the facts show it: «да/нет», decimal commas, an interval «[a; b]», a statistic's parts."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        if abs(value) < 0.0001 and value != 0:
            return "< 0,0001" if value > 0 else "> −0,0001"
        return ru_number(value, 4 if abs(value) < 1 else 2)
    if isinstance(value, list) and len(value) == 2 and all(fg._num(v) for v in value):
        return f"[{fmt(value[0])}; {fmt(value[1])}]"
    if isinstance(value, dict):
        return "; ".join(
            f"{KEY_LABELS.get(k, k)}: {fmt(v)}"
            for k, v in value.items()
            if v is not None and (not isinstance(v, dict | list) or (isinstance(v, list) and len(v) == 2))
        )
    return str(value)


def headline_facts(headline: Headline) -> list[Fact]:
    """The headline facts in page order (empty values left out)."""
    return [
        (FACT_LABELS[key], fmt(value))
        for key, value in headline.items()
        if not (value is None or value == "" or (isinstance(value, dict) and not value))
    ]


def chart_items(
    charts: Charts, *, suffix: str = "", boundaries: list[tuple[float, str]] | None = None
) -> list[dict]:
    """The charts of one evidence node as ``{"title", "figure"}`` / ``{"title", "table"}`` items."""
    out: list[dict] = []
    h = charts.histogram
    if h is not None:
        scores = None if h.scores is None else list(h.scores)
        expected = None if h.expected is None else list(h.expected)
        out.append(
            {
                "title": "Распределение баллов" + suffix,
                "figure": fg.histogram_figure(list(h.observed), expected, scores, boundaries=boundaries),
            }
        )
    for p in charts.profiles:
        out.append(
            {
                "title": "Профиль выполнения заданий" + suffix,
                "figure": fg.task_profile_figure(
                    list(p.school),
                    list(p.region),
                    _list(p.tasks),
                    _list(p.expected),
                    _list(p.levels),
                    on_level=p.on_level,
                ),
            }
        )
    for t in charts.journals:
        if t.matrix is not None:
            table = fg._table_from_matrix(t.matrix)
            if table:
                out.append({"title": "Отметки по журналу и за ВПР" + suffix, "table": table})
            continue
        node: dict[str, Any] = {"school": t.school, "region": t.region}
        if t.head is not None and t.rows is not None:
            node.update(head=list(t.head), rows=list(t.rows))
        out += [{"title": x.pop("title") + suffix, "table": x} for x in fg.journal_tables(node)]
    if charts.shares is not None:
        out.append(
            {
                "title": "Понизили / подтвердили / повысили" + suffix,
                "figure": fg.shares_figure(dict(charts.shares)),
            }
        )
    i = charts.interval
    if i is not None:
        out.append(
            {
                "title": "Добавленная ценность (эффект школы с учётом контекста)",
                "figure": fg.interval_figure(i.effect, i.lower, i.upper, i.margin),
            }
        )
    return out


def _list(value: Iterable[Any] | None) -> list | None:
    return None if value is None else list(value)


# ---------------------------------------------------------------------------------------------
# presenters


class Presenter:
    """Turns one method's typed evidence into a :class:`Presentation` and a list row's details.

    The base class serves a method without a presenter of its own: the headline facts and the charts at
    the top of its evidence."""

    def parse(self, data: Any) -> Any:
        """The method's typed evidence of an outcome's ``data``."""
        return _Generic.parse(data)

    def label(self, ev: Any, *, flagged: bool, label: str) -> str:
        """The outcome's label in words (sign ids replaced by their names)."""
        return humanize(label)

    def body(self, ev: Any) -> tuple[list[Fact], list[dict], list[dict]]:
        """Facts, charts and sign blocks of the evidence."""
        return headline_facts(ev.headline), chart_items(ev.charts), []

    def details(self, ev: Any) -> str:
        """The short text of a list row."""
        return ""

    def present(self, data: Any, *, flagged: bool, label: str) -> Presentation:
        """The whole presentation of one outcome."""
        ev = self.parse(data)
        facts, charts, signs = self.body(ev)
        return Presentation(self.label(ev, flagged=flagged, label=label), facts, charts, signs)


@dataclass(frozen=True, slots=True)
class _Generic:
    """The headline and charts at the top of any method's evidence."""

    headline: Headline
    charts: Charts

    @classmethod
    def parse(cls, data: Any) -> _Generic:
        ev = E.as_dict(E.as_dict(data).get("evidence"))
        return cls(Headline.parse(ev), Charts.parse(ev))


class ObjectivityPresenter(Presenter):
    """Objectivity: the school's p/q and threshold, then one block per tested sign (significant first)."""

    def parse(self, data: Any) -> E.ObjectivityEvidence:
        """The typed evidence."""
        return E.ObjectivityEvidence.parse(data)

    def label(self, ev: E.ObjectivityEvidence, *, flagged: bool, label: str) -> str:
        """«значимых признаков: N», or «признаки не выявлены» for a school not flagged."""
        n = ev.n_signs
        return (
            f"значимых признаков: {n}" if n else ("признаки не выявлены" if not flagged else humanize(label))
        )

    def present(self, data: Any, *, flagged: bool, label: str) -> Presentation:
        """The whole presentation; the sign blocks also read the pooled tests and the mark boundaries."""
        ev = self.parse(data)
        facts, charts, signs = self.body(ev, raw=E.as_dict(E.as_dict(data).get("evidence")))
        return Presentation(self.label(ev, flagged=flagged, label=label), facts, charts, signs)

    def body(self, ev: E.ObjectivityEvidence, raw: Any = None) -> tuple[list[Fact], list[dict], list[dict]]:
        """The school's facts and its sign blocks (charts by sign when no sign was tested)."""
        signs = sign_blocks_of(ev, raw=raw)
        if signs:
            return headline_facts(ev.headline), [], signs
        charts = []
        for rec in ev.signs:
            suffix = f": {sign_label(rec.id)}" if ":" in rec.id else ""
            charts += chart_items(rec.charts, suffix=suffix)
        return headline_facts(ev.headline), charts, []

    def details(self, ev: E.ObjectivityEvidence) -> str:
        """The significant signs by name."""
        return "; ".join(sign_label(s) for s in ev.sign_ids)


def sign_blocks_of(ev: E.ObjectivityEvidence, *, raw: Any = None) -> list[dict]:
    """One block per tested sign — title, plain sentences, the badge from :class:`PlainSign` (the one rule:
    q or p at most the threshold stated in the evidence), facts in Russian numbers, charts (a sign that
    shares its twin's chart shows the twin's; a histogram marks the mark boundary) — significant first."""
    by_id = {r.id: r for r in ev.signs}  # the last record of an id wins, as stored
    pooled = {rec.id: node for rec, node in pooled_records(raw)} if raw is not None else {}
    blocks = []
    for plain in plain_signs(ev, raw=raw):
        rec = by_id.get(plain.code)
        charts: list[dict] = []
        facts: list[Fact] = []
        if rec is not None:
            source = rec.charts
            if not source and rec.chart_of is not None and rec.chart_of in by_id:
                source = by_id[rec.chart_of].charts
            charts = chart_items(source, boundaries=_boundaries(plain))
            facts = _sign_facts(rec.headline, plain, ev.threshold)
        else:
            facts = _sign_facts(Headline(), plain, ev.threshold)
            charts = pooled_chart_items(plain.code, pooled.get(plain.code))
        blocks.append(
            {
                "id": plain.code,
                "title": plain.title,
                "significant": plain.significant,
                "badge": plain.badge,
                "sentences": plain.sentences,
                "facts": facts,
                "charts": charts,
            }
        )
    return blocks


#: The pooled signs drawn by test: the figure of their ``tests`` columns and its title.
_POOLED_FIGURES = {
    "lenient_checking:pooled": (fg.lenient_tests_figure, "Мягкая проверка по работам школы"),
    "journal_corr:pooled": (fg.journal_tests_figure, "Связь с отметками по журналу по работам школы"),
}


def pooled_chart_items(code: str, node: Any) -> list[dict]:
    """The chart of a pooled sign (``code``: ``lenient_checking:pooled``) from its record's tests, as
    ``chart_items`` gives them; none for another sign or a record without the tests (older runs)."""
    drawn = _POOLED_FIGURES.get(code)
    if drawn is None or not isinstance(node, dict):
        return []
    figure = drawn[0](node.get("tests"))
    return [] if figure is None else [{"title": drawn[1], "figure": figure}]


def _boundaries(plain: PlainSign) -> list[tuple[float, str]]:
    return list(plain.chart.boundaries) if plain.chart is not None else []


def _sign_facts(headline: Headline, plain: PlainSign, school_threshold: Any = None) -> list[Fact]:
    """Comparison group, participants, p (or q) and the threshold it was compared with — no raw keys."""
    out: list[Fact] = []
    if headline.comparison_group:
        out.append(("Группа сравнения", str(headline.comparison_group)))
    n = headline.n if headline.n is not None else headline.n_pupils
    if isinstance(n, int | float) and not isinstance(n, bool):
        out.append(("Участников", ru_number(n, 0)))
    if plain.value is not None:
        name = "q-значение (с поправкой на множественность)" if plain.compared == "q" else "p-значение"
        out.append((name, fmt(float(plain.value))))
    stated = headline.threshold or school_threshold
    if plain.threshold is not None and stated is not None:
        out.append(("Порог", _threshold_words(plain, stated)))
    elif plain.threshold is not None:
        out.append(("Порог по умолчанию (в расчёте не указан)", _threshold_words(plain, None)))
    return out


def _threshold_words(plain: PlainSign, stated: Any) -> str:
    """«p не больше 0,001 (уровень q 0,05)»: the threshold the badge compared with."""
    what = "q" if plain.compared == "q" else "p"
    words = f"{what} не больше {fmt(float(plain.threshold or 0))}"
    if isinstance(stated, dict) and isinstance(stated.get("q"), int | float) and what == "p":
        words += f" (уровень q {fmt(float(stated['q']))})"
    elif isinstance(stated, dict) and isinstance(stated.get("alpha"), int | float) and what == "p":
        alpha = fmt(float(stated["alpha"]))
        if isinstance(stated.get("sign_weights"), dict):
            words += f" (уровень значимости для школы {alpha}, умноженный на долю признака)"
        else:
            words += f" (уровень значимости для школы {alpha}, поделённый на число признаков)"
    return words


class FiokoPresenter(Presenter):
    """FIOKO markers: one block per marker found, with its value, threshold and evidence."""

    def parse(self, data: Any) -> E.FiokoEvidence:
        """The typed evidence."""
        return E.FiokoEvidence.parse(data)

    def label(self, ev: E.FiokoEvidence, *, flagged: bool, label: str) -> str:
        """The markers of the label by name."""
        return ", ".join(SIGN_LABELS.get(x.strip(), x.strip()) for x in label.split(",") if x.strip())

    def body(self, ev: E.FiokoEvidence) -> tuple[list[Fact], list[dict], list[dict]]:
        """Marker blocks; older runs: the facts and charts of their one evidence object."""
        if ev.markers:
            return [], [], marker_blocks_of(ev)
        return headline_facts(ev.headline), chart_items(ev.charts), []

    def details(self, ev: E.FiokoEvidence) -> str:
        """The markers found, by name and test."""
        if ev.markers:
            return "; ".join(b["title"] for b in marker_blocks_of(ev))
        if ev.marker_codes:
            return "; ".join(sign_label(m) for m in ev.marker_codes)
        return ev.marker


def marker_blocks_of(ev: E.FiokoEvidence) -> list[dict]:
    """FIOKO markers as sign-like blocks: «Завышенный средний балл (ВПР, математика, 4 кл.)» with facts."""
    blocks = []
    for m in ev.markers:
        subject = SUBJECT_LABELS.get(str(m.subject), m.subject)
        grade = f"{m.grade} кл." if m.grade else ""
        where = ", ".join(str(x) for x in (PROCEDURE_LABELS.get(str(m.procedure), ""), subject, grade) if x)
        row = [
            (label, fmt(v)) for v, label in ((m.value, "Значение"), (m.threshold, "Порог")) if v is not None
        ]
        blocks.append(
            {
                "id": m.marker,
                "title": SIGN_LABELS.get(m.marker, m.marker) + (f" ({where})" if where else ""),
                "significant": True,
                "facts": row + [f for f in headline_facts(m.headline) if f[0] not in {"Значение", "Порог"}],
                "charts": chart_items(m.charts),
            }
        )
    return blocks


class LowResultsPresenter(Presenter):
    """Low results: the verdict's statistic and interval, the list history, the value-added chart."""

    def parse(self, data: Any) -> E.LowResultsEvidence:
        """The typed evidence."""
        return E.LowResultsEvidence.parse(data)

    def body(self, ev: E.LowResultsEvidence) -> tuple[list[Fact], list[dict], list[dict]]:
        """Headline facts, then years in the list, category, indicators, the risk list; the interval chart."""
        row: list[Fact] = []
        if ev.years_in_list:
            row.append(("Лет в списке подряд", str(ev.years_in_list)))
        if ev.category:
            row.append(("Категория", CATEGORY_SHORT_LABELS.get(str(ev.category), str(ev.category))))
        if ev.indicators:
            row.append(("Показатели", str(ev.indicators)))
        if ev.risk_list is not None:
            row.append(("Список риска Рособрнадзора", "да" if ev.risk_list else "нет"))
        return headline_facts(ev.headline) + row, chart_items(ev.charts) + chart_items(ev.value_added), []

    def details(self, ev: E.LowResultsEvidence) -> str:
        """The indicators that put the school on the list (or the reason)."""
        return str(ev.indicators or ev.reason or "")


class SocialIndexPresenter(Presenter):
    """Social index: the statistic and threshold, the index and the rank."""

    def parse(self, data: Any) -> E.SocialIndexEvidence:
        """The typed evidence."""
        return E.SocialIndexEvidence.parse(data)

    def body(self, ev: E.SocialIndexEvidence) -> tuple[list[Fact], list[dict], list[dict]]:
        """Headline facts with the index and the rank."""
        row = [
            (label, str(v))
            for v, label in ((ev.index, "Индекс"), (ev.rank, "Место в рейтинге"))
            if v is not None
        ]
        return headline_facts(ev.headline) + row, chart_items(ev.charts), []

    def details(self, ev: E.SocialIndexEvidence) -> str:
        """«индекс 53, место 1»."""
        parts = []
        if ev.index is not None:
            parts.append(f"индекс {ev.index}")
        if ev.rank is not None:
            parts.append(f"место {ev.rank}")
        return ", ".join(parts)


class TracksPresenter(Presenter):
    """Support track: the track's name."""

    def parse(self, data: Any) -> E.TracksEvidence:
        """The typed evidence."""
        return E.TracksEvidence.parse(data)

    def body(self, ev: E.TracksEvidence) -> tuple[list[Fact], list[dict], list[dict]]:
        """The track as one fact."""
        return ([("Вариант", ev.label)] if ev.track else []), [], []

    def summary(self, ev: E.TracksEvidence, *, label: str = "") -> dict | None:
        """The card's summary: code, label, the school's other tracks and the reasons in words."""
        if not ev.track:
            return None
        reasons: list[str] = []
        for part in (ev.reasons or label or "").split(";"):
            part = part.strip()
            if not part:
                continue
            if reasons and humanize(part) != part and humanize(part) == sign_label(part):
                reasons[-1] += "; " + sign_label(part)  # a sign id continuing the previous reason
            else:
                reasons.append(humanize(part))
        return {
            "code": ev.track,
            "label": ev.label,
            "tracks": [TRACK_LABELS.get(t, t) for t in (ev.tracks or (ev.track,)) if t != ev.track],
            "reasons": reasons,
        }


class DeficitsPresenter(Presenter):
    """Skill deficits: how many, the rule, the school's worst skills against the comparison group."""

    limit = 15

    def parse(self, data: Any) -> E.DeficitsEvidence:
        """The typed evidence."""
        return E.DeficitsEvidence.parse(data)

    def body(self, ev: E.DeficitsEvidence) -> tuple[list[Fact], list[dict], list[dict]]:
        """Counts and rule; a chart and a table of the school-level deficits."""
        school = list(ev.school_level[: self.limit])
        facts = [
            (
                "Дефицитов на уровне школы",
                str(len(school) if ev.school_deficits is None else ev.school_deficits),
            ),
            ("Дефицитов в классах", str(ev.class_deficits or 0)),
            (
                "Правило",
                "успешность школы значимо ниже группы сравнения (верхняя граница интервала ниже её уровня)",
            ),
        ]
        if not school:
            return facts, [], []
        names = [
            f"{d.element_label or d.element} ({SUBJECT_LABELS.get(str(d.subject), d.subject)}, {d.grade} кл.)"
            for d in school
        ]
        figure = fg.deficits_figure(
            names,
            [_pct(d.success) for d in school],
            [_pct(d.lower) for d in school],
            [_pct(d.upper) for d in school],
            [_pct(d.comparison_success) for d in school],
        )
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
                    _pct1(d.success),
                    f"{_pct1(d.lower)}–{_pct1(d.upper)}",
                    _pct1(d.comparison_success),
                    _pct1(d.gap),
                    topic_titles().get(d.topic or "", "—"),
                ]
                for n, d in zip(names, school, strict=True)
            ],
        }
        return (
            facts,
            [
                {"title": "Дефициты умений", "figure": figure},
                {"title": "Дефициты умений (таблица)", "table": table},
            ],
            [],
        )


def _pct(v: float | None) -> float | None:
    return None if v is None else 100 * float(v)


def _pct1(v: float | None) -> str:
    return "—" if v is None else f"{100 * float(v):.1f}".replace(".", ",")


#: The presenter of each method (``SchoolOutcome.method``); other methods get the base presenter.
PRESENTERS: dict[str, Presenter] = {
    "fioko": FiokoPresenter(),
    "objectivity": ObjectivityPresenter(),
    "low_results": LowResultsPresenter(),
    "social_index": SocialIndexPresenter(),
    "tracks": TracksPresenter(),
    "deficits": DeficitsPresenter(),
}
_DEFAULT = Presenter()


def presenter_for(method: str) -> Presenter:
    """The presenter of ``method`` (the base presenter for a method without one)."""
    return PRESENTERS.get(method, _DEFAULT)


def present(method: str, *, data: Any, flagged: bool, label: str) -> Presentation:
    """What the pages show of one outcome of ``method``."""
    return presenter_for(method).present(data, flagged=flagged, label=label)


def list_details(method: str, data: Any) -> str:
    """The short text of a list row for an outcome of ``method`` (its significant signs, index, markers …)."""
    p = presenter_for(method)
    return p.details(p.parse(data))


def sign_blocks(evidence: Any) -> list[dict]:
    """Objectivity evidence (the ``evidence`` object) as one block per tested sign."""
    return sign_blocks_of(E.ObjectivityEvidence.parse({"evidence": evidence}), raw=evidence)


def track_summary(data: Any, *, label: str = "") -> dict | None:
    """The school's support track in words (see :meth:`TracksPresenter.summary`)."""
    p = TracksPresenter()
    return p.summary(p.parse(data), label=label)
