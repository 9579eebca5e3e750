"""Document kinds: Russian patterns in link texts, URLs and page titles."""

from __future__ import annotations

import pytest

from shnor.core.monitoring import documents

RULES = documents.default_rules()


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("Приказ об утверждении дорожной карты по работе со ШНОР", "", ["order", "roadmap"]),
        ("Приказ № 112", "Школы с низкими образовательными результатами", ["order"]),
        ("Приказ № 112", "Новости", []),
        ("ДОРОЖНАЯ  КАРТА на 2024 год", "", ["roadmap"]),
        ("Анализ проведённых мероприятий", "", ["analysis"]),
        ("Анализ", "Дорожная карта ШНОР", ["analysis"]),
        ("План мероприятий по повышению качества", "", ["action_plan"]),
        ("Антирисковая программа", "", ["programme"]),
        ("Адресные рекомендации", "", ["recommendations"]),
        ("Приказ о закреплении менторов за ШНОР", "", ["order", "mentors"]),
        ("Расписание звонков", "ШНОР", []),
        ("Положение о приёме", "", []),
    ],
)
def test_classify(text, context, expected):
    assert documents.classify(RULES, link_text=text, context=context) == expected


def test_url_text_and_extensions():
    url = "http://127.0.0.1/docs/%D0%B4%D0%BE%D1%80%D0%BE%D0%B6%D0%BD%D0%B0%D1%8F_%D0%BA%D0%B0%D1%80%D1%82%D0%B0.DOCX"
    assert documents.classify(RULES, url=url) == ["roadmap"]
    assert documents.is_document_url(url, RULES)
    assert not documents.is_document_url("http://127.0.0.1/docs/page.html", RULES)
    assert documents.file_extension("http://127.0.0.1/a/b") == ""
    assert documents.classify(RULES, url="http://127.0.0.1/files/dorozhnaya_karta_2024.pdf") == ["roadmap"]


def test_rules_from_config_and_errors():
    rules = documents.rules_from_config(
        {"kinds": {"x": {"label": "Икс", "groups": [["ёлк"]]}}, "document_extensions": [".PDF"]}
    )
    assert documents.classify(rules, link_text="Елка") == ["x"]
    assert rules.extensions == ("pdf",)
    assert rules.label("x") == "Икс"
    assert rules.label("y") == "y"
    with pytest.raises(ValueError, match="неверный шаблон"):
        documents.rules_from_config({"kinds": {"x": {"groups": [["("]]}}})
    with pytest.raises(ValueError, match="непустые группы"):
        documents.rules_from_config({"kinds": {"x": {"groups": []}}})
    assert documents.missing_kinds(["order"], RULES, ["order", "roadmap"]) == ["roadmap"]
    assert RULES.version == "1.0"
