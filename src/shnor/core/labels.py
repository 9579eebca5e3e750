"""The Russian labels of the product's codes, in one place: procedures, subjects, signs, FIOKO markers,
tracks, list categories, lists and methods.

Pure data (no imports from the project), so that every layer can read it: the methods and the reports in
``core``, the pages and the API in ``web``. Where one code is shown in two wordings (a full name in a
table, a short one inside a phrase), both live here under names that say which is which.
"""

from __future__ import annotations

from typing import Final

#: Assessment procedures as people name them (``gia`` is the ГИА as a whole, used in the sign ``vpr_vs_gia``).
PROCEDURE_LABELS: Final[dict[str, str]] = {
    "vpr": "ВПР",
    "oge": "ОГЭ",
    "ege": "ЕГЭ",
    "rdr": "РДР",
    "gia": "ГИА",
}

#: Subject names as headings and table cells show them (the codes of docs/FORMATS.md).
SUBJECT_NAMES: Final[dict[str, str]] = {
    "ru": "Русский язык",
    "ma": "Математика",
    "ok": "Окружающий мир",
    "bi": "Биология",
    "hi": "История",
    "ge": "География",
    "ob": "Обществознание",
    "ph": "Физика",
    "ch": "Химия",
    "en": "Английский язык",
    "de": "Немецкий язык",
    "fr": "Французский язык",
    "in": "Информатика",
    "li": "Литература",
}

#: Subject names inside a phrase («ВПР, математика, 4 кл.»): the subjects the evidence pages know.
SUBJECT_LABELS: Final[dict[str, str]] = {
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

#: The signs of unreliable results the objectivity method tests.
OBJECTIVITY_SIGN_LABELS: Final[dict[str, str]] = {
    "bunching": "Скопление у порога отметки",
    "task_pattern": "Трудные задания выполнены лучше лёгких",
    "person_fit": "Нетипичные ответы (ошибки Гуттмана)",
    "similarity": "Совпадающие наборы ответов",
    "homogeneity": "Слишком однородные результаты",
    "journal": "Повышение отметок относительно журнала",
    "journal_corr": "Слабая связь с отметками по журналу",
    "fluctuation": "Неожиданный рост результатов",
    "vpr_vs_gia": "Результаты ВПР выше, чем по ГИА",
    "lenient_checking": "Мягкая проверка заданий с развёрнутым ответом",
    "participation": "Слабые ученики не участвовали",
}

#: The FIOKO reference markers (``core.methods.fioko.MARKERS``).
FIOKO_MARKER_LABELS: Final[dict[str, str]] = {
    "inflated_mean": "Завышенный средний балл",
    "journal_mismatch": "Несоответствие отметкам по журналу",
    "cohort_fall": "Резкое падение результатов параллели",
    "cohort_rise": "Резкий рост результатов параллели",
}

#: Every sign or marker code, as the pages look them up.
SIGN_LABELS: Final[dict[str, str]] = {**OBJECTIVITY_SIGN_LABELS, **FIOKO_MARKER_LABELS}

#: Support tracks as the identification pages name them.
TRACK_LABELS: Final[dict[str, str]] = {
    "common": "Общие региональные мероприятия",
    "network": "Сетевые методические объединения",
    "individual": "Индивидуальное сопровождение",
}

#: Low-results list categories as the persistence rules write them into the method's output.
CATEGORY_LABELS: Final[dict[str, str]] = {
    "first": "впервые",
    "repeated": "повторно за последние три года",
    "persistent": "три года и более подряд",
    "exited": "вышла из списка",
    "none": "не в списке",
}

#: The same categories in the shorter wording of the list pages and the school card.
CATEGORY_SHORT_LABELS: Final[dict[str, str]] = {
    "first": "впервые",
    "repeated": "повторно за три года",
    "persistent": "три года и более подряд",
    "exited": "вышла из списка",
    "none": "нет",
}

#: The methods whose outcomes a run stores, as the pages title them (``SchoolOutcome.METHODS``).
METHOD_TITLES: Final[dict[str, str]] = {
    "fioko": "Маркеры ФИОКО",
    "objectivity": "Признаки необъективности",
    "low_results": "Низкие результаты (ШНОР)",
    "social_index": "Социальный индекс (ШНСУ)",
    "tracks": "Вариант сопровождения",
    "deficits": "Дефициты умений",
}

#: The four ways the low-results method can find a school (``core.methods.low_results.METHODS``).
LOW_RESULTS_METHOD_LABELS: Final[dict[str, str]] = {
    "risk_rule": "правило Рособрнадзора (≥ 30 % «2»)",
    "indicators": "показатели (приказ, 2 года)",
    "cluster": "сравнение внутри кластера",
    "value_added": "добавленная ценность с учётом контекста",
}

#: The lists of the yearly report, with what each stands for.
LIST_LABELS: Final[dict[str, str]] = {
    "low_results": "ШНОР (низкие результаты)",
    "social_risk": "ШНСУ (неблагоприятные условия)",
    "objectivity": "Признаки необъективности",
}

#: FIOKO's published lists (``shnor import fioko-list --kind``), as the appendices of its letter name them.
FIOKO_LIST_LABELS: Final[dict[str, str]] = {
    "objectivity": "школы с признаками необъективных результатов ВПР",
    "low_results": "школы с низкими образовательными результатами",
}

#: Where a school of the region's list came from (``shnor lists export``'s ``source``).
LIST_SOURCE_LABELS: Final[dict[str, str]] = {
    "fioko": "список ФИОКО",
    "computed": "расчёт по методике",
    "rule": "правило Рособрнадзора",
    "manual": "добавлена вручную",
}

#: The ФИС ОКО file layouts as a person names them.
LAYOUT_LABELS: Final[dict[str, str]] = {
    "fisoko2020": "выгрузка ФИС ОКО образца 2020 г.",
    "fisoko2021": "выгрузка ФИС ОКО образца 2021 г.",
    "fisoko2022": "протокол ФИС ОКО образца 2022 г.",
}


def sign_label(sign_id: str) -> str:
    """«Скопление у порога отметки (ВПР, математика, 4 кл.)» for ``bunching:vpr:ma:4``."""
    parts = str(sign_id).split(":")
    name = SIGN_LABELS.get(parts[0], parts[0])
    if len(parts) == 4 and parts[2] == "all":
        return f"{name} (все ВПР школы)"
    if len(parts) == 4:
        _, proc, subj, grade = parts
        procedure = PROCEDURE_LABELS.get(proc, proc.upper())
        return f"{name} ({procedure}, {SUBJECT_LABELS.get(subj, subj)}, {grade} кл.)"
    return name
