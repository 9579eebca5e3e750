"""Criteria of external evaluation as configuration: the shipped file, a region's file merged over it,
errors that name the file, form and criterion, and the scores by section."""

from __future__ import annotations

import pytest

from shnor.core.evaluation import (
    SCALES,
    CriteriaError,
    criteria_load,
    criteria_shipped,
    form_from_dict,
    form_to_dict,
    section_scores,
)

REGION = """
version = "алтай-1"
[[forms]]
code = "development_programme"
title = "Экспертиза программы развития (региональная редакция)"
subject_required = true
[[forms.sections]]
code = "all"
title = "Соответствие требованиям региона"
[[forms.sections.criteria]]
code = "R1"
text = "Программа согласована с муниципальным органом управления образованием"
scale = "yes_no"

[[forms]]
code = "lesson_visit"
title = "Посещение уроков"
[[forms.sections]]
code = "lessons"
title = "Уроки"
[[forms.sections.criteria]]
code = "L1"
text = "Урок построен на формирующем оценивании"
scale = "0-2"
guidance = "Есть ли критерии оценивания, известные ученикам"
"""


def test_shipped_forms_cover_the_inspection_and_both_programme_reviews() -> None:
    s = criteria_shipped()
    assert s.version == "2026.1"
    assert [f.title for f in s.forms] == [
        "Комплексная оценка школы",
        "Экспертиза программы развития",
        "Экспертиза антирисковой программы",
    ]
    complex_ = s.form("complex")
    assert [x.title for x in complex_.sections] == [
        "Управление",
        "Образовательные результаты",
        "Кадры",
        "Условия",
        "Воспитательная работа",
        "Объективность оценивания",
    ]
    assert not complex_.subject_required
    assert s.form("antirisk_programme").subject_required
    for f in s.forms:
        assert f.version == "2026.1"
        for c in f.criteria:
            assert (c.scale in SCALES, bool(c.text), bool(c.guidance)) == (True, True, True), c.code
    assert (complex_.criterion("R3").max_score, complex_.criterion("M1").max_score) == (1, 2)
    assert complex_.criterion("R3").label_of(1) == "да"


def test_a_region_file_replaces_a_form_of_the_same_code_and_adds_new_ones(tmp_path) -> None:
    path = tmp_path / "region.toml"
    path.write_text(REGION, encoding="utf-8")
    s = criteria_load(path)
    assert s.version == "2026.1+алтай-1"
    assert [f.code for f in s.forms] == [
        "complex",
        "development_programme",
        "antirisk_programme",
        "lesson_visit",
    ]
    dev = s.form("development_programme")
    assert dev.title.endswith("(региональная редакция)")
    assert [c.code for c in dev.criteria] == ["R1"]
    assert dev.version == "алтай-1"
    assert s.form("complex").version == "2026.1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (REGION.replace('version = "алтай-1"', ""), "region.toml: не указана версия критериев"),
        (
            REGION.replace('scale = "yes_no"', 'scale = "1-5"'),
            "форма development_programme, раздел all, критерий R1: неизвестная шкала «1-5»",
        ),
        (
            REGION + '[[forms.sections.criteria]]\ncode = "L1"\ntext = "Повтор"\nscale = "0-2"\n',
            "форма lesson_visit: коды критериев повторяются: L1",
        ),
        (
            REGION.replace('text = "Урок построен на формирующем оценивании"', 'text = ""'),
            "критерий L1: не заполнено поле «text»",
        ),
        ('version = 1\n[[forms]]\ncode = "x"\ntitle = "Х"\n', "форма x: нет ни одного раздела «sections»"),
        ("version = \n", "не читается как TOML"),
    ],
)
def test_a_bad_region_file_is_refused_naming_where(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as exc:
        criteria_load(path)
    assert message in str(exc.value)


def test_a_missing_region_file_and_an_unknown_form_say_what_is_wrong(tmp_path) -> None:
    with pytest.raises(CriteriaError, match="Файл критериев оценки не найден: .*nope.toml"):
        criteria_load(tmp_path / "nope.toml")
    with pytest.raises(CriteriaError, match="нет формы оценки «audit» \\(есть: complex, "):
        criteria_shipped().form("audit")


def test_a_stored_form_reads_back_the_same() -> None:
    form = criteria_shipped().form("complex")
    assert form_from_dict(form_to_dict(form)) == form


def test_section_scores_average_the_experts_per_criterion() -> None:
    form = criteria_shipped().form("complex")
    one = {"M1": 2, "M2": 1, "M3": 0, "R3": 1}
    two = {"M1": 1, "M2": 1, "R3": 0}
    rows = {s.code: s for s in section_scores(form, [one, two])}
    m = rows["management"]
    assert (m.score, m.max_score, m.scored, m.total) == (1.5 + 1 + 0, 6, 3, 3)
    assert m.percent == 42
    r = rows["results"]
    assert (r.score, r.max_score, r.scored) == (0.5, 5, 1)  # R1, R2 unscored; R3: (1 + 0) / 2
    assert (rows["staff"].score, rows["staff"].scored, rows["staff"].percent) == (0, 0, 0)
    assert section_scores(form, [])[0].score == 0
