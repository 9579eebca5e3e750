"""The recommendations library: the shipped starter set, validation, matching and attachment."""

from __future__ import annotations

import polars as pl
import pytest

from shnor.core.recommendations import (
    LibraryError,
    attach,
    load_library,
    match,
    school_entries,
    shipped_library,
)


def test_shipped_starter_set() -> None:
    lib = shipped_library()
    assert lib.status == "starter"
    assert lib.version
    assert 30 <= len(lib.entries) <= 60
    assert len({e.id for e in lib.entries}) == len(lib.entries)
    for subject in ("ma", "ru"):
        for grade in (4, 5, 6, 7, 8):
            for level in ("Б", "П"):
                found = match(
                    subject=subject, grade=grade, levels=[level], text="нечто без ключевых слов", library=lib
                )
                assert found, (subject, grade, level)
                assert found[0].fallback
    assert all(e.actions for e in lib.entries)
    assert {e.audience for e in school_entries(lib)} >= {"ШМО", "администрация"}


@pytest.mark.parametrize(
    ("subject", "grade", "text", "kes", "topic"),
    [
        ("ma", 4, "Умение решать текстовые задачи", ["1", "2"], "ma.text_problems"),
        ("ma", 4, "Умение изображать геометрические фигуры", ["3"], "ma.geometry_construction"),
        ("ma", 4, "Умение исследовать, распознавать геометрические фигуры", ["3"], "ma.geometry_figures"),
        ("ma", 4, "Умение работать с таблицами, схемами, графиками диаграммами", ["4"], "ma.data"),
        ("ma", 4, "Овладение основами логического и алгоритмического мышления", ["1"], "ma.logic"),
        ("ma", 6, "Решать задачи на проценты", [], "ma.percent"),
        (
            "ru",
            5,
            "Соблюдать изученные орфографические и пунктуационные правила при списывании",
            [],
            "ru.spelling",
        ),
        ("ru", 7, "Определять основную мысль текста", [], "ru.text_understanding"),
    ],
)
def test_matching_examples(subject, grade, text, kes, topic) -> None:
    found = match(subject=subject, grade=grade, levels=["Б"], text=text, kes=kes)
    assert found[0].topic == topic


def test_grade_and_level_restrictions() -> None:
    # ma-arith-1 is for grades 4-5: grade 7 arithmetic gets the rational-numbers entry
    assert match(subject="ma", grade=7, text="арифметические действия")[0].id == "ma-arith-2"
    assert match(subject="ma", grade=4, levels=["П"], text="")[0].id == "ma-advanced-group"
    assert match(subject="hi", grade=5, text="текстовые задачи") == []


def test_invalid_library_messages_are_russian() -> None:
    with pytest.raises(LibraryError, match="TOML"):
        load_library("[[entry]\n")
    with pytest.raises(LibraryError, match="нет ни одной записи"):
        load_library('version = "1"\n')
    bad = (
        '[[entry]]\nid = "a"\nsubject = "ma"\ngrades = [4]\ntopic = "t"\ntitle = "T"\n'
        'actions = ["x"]\nkes = ["2"]\n'
    )
    with pytest.raises(LibraryError, match="класс:код"):
        load_library(bad)
    with pytest.raises(LibraryError, match="уровень"):
        load_library(bad.replace('kes = ["2"]', 'levels = ["C"]'))
    dup = bad.replace('kes = ["2"]', "") * 2
    with pytest.raises(LibraryError, match="дважды"):
        load_library(dup)


def test_a_regional_library_replaces_the_starter_set() -> None:
    text = (
        'version = "ИРО-2025"\n[[entry]]\nid = "iro-1"\nsubject = "ma"\ngrades = [4]\ntopic = "ma.text"\n'
        'title = "Текстовые задачи (ИРО)"\nkeywords = ["текстов"]\nactions = ["Шаг ИРО"]\n'
    )
    lib = load_library(text)
    frame = pl.DataFrame(
        {
            "subject": ["ma", "ma"],
            "grade": pl.Series([4, 4], dtype=pl.Int8),
            "levels": ["Б", "Б"],
            "skills": ["Умение решать текстовые задачи", None],
            "kes_codes": ["1;2", None],
            "element_label": ["x", "Задание 9"],
        }
    )
    out = attach(frame, lib)
    assert out["recommendation_ids"].to_list() == ["iro-1", None]
    assert out["topic"].to_list() == ["ma.text", None]
    assert attach(frame.head(0), lib).columns[-3:] == ["topic", "recommendation_ids", "recommendations"]
