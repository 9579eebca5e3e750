"""The glossary page («Словарь терминов») and the term tooltips on the school card and the list pages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.urls import reverse

from shnor.web.glossary.terms import TERMS, find, term
from tests.web.world import World

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]

#: terms the product shows and a methodologist must be able to look up (the issue's list)
REQUIRED = {
    "q", "p", "fdr", "eblup", "sd", "z", "standardized", "value_added", "track", "shnor", "shnsu", "fioko",
    "empirical_null", "ci", "percentile", "primary_score", "social_index", "spearman", "iqr", "bunching",
}  # fmt: skip
#: Latin tokens a Russian page may show (the statistical abbreviations themselves)
LATIN_OK = {"p", "q", "z", "SD", "EBLUP", "FDR", "BH", "IQR", "Q1", "Q3"}


def _client(world: World, role: str) -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def _visible_text(html: str) -> str:
    body = html[html.index("<main>") : html.index("</main>")]
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("role", ROLES)
def test_glossary_page_for_every_role(world, role) -> None:
    page = _client(world, role).get(reverse("glossary:index"))
    assert page.status_code == 200
    html = page.content.decode()
    for t in TERMS:
        assert f'id="term-{t.key}"' in html, t.key
    text = _visible_text(html)
    assert "Словарь терминов" in text
    assert "Бенджамини" in text
    latin = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text)} - LATIN_OK
    assert not latin, latin
    assert 'href="/glossary/"' in html  # the menu links to it


def test_glossary_needs_a_login(db) -> None:
    page = Client().get(reverse("glossary:index"))
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]


def test_terms_are_complete_and_unique() -> None:
    keys = [t.key for t in TERMS]
    assert len(keys) == len(set(keys))
    assert set(keys) >= REQUIRED, REQUIRED - set(keys)
    for t in TERMS:
        assert t.hint, t.key
        assert len(t.text) > 60, t.key
        assert all(m == m.lower() for m in t.matches), t.key


def test_term_tag_renders_a_link_with_its_hint_and_rejects_unknown_terms(db) -> None:
    out = Template('{% load glossary_tags %}{% term "q" %} и {% term "fdr" "поправка" %}').render(Context())
    assert f'href="/glossary/#term-q" title="{term("q").hint}"' in out
    assert ">q-значение</a>" in out
    assert ">поправка</a>" in out
    assert "#term-fdr" in out
    with pytest.raises(TemplateSyntaxError):
        Template('{% load glossary_tags %}{% term "нет_такого" %}').render(Context())
    plain = Template("{% load glossary_tags %}{% term_label x %}|{% term_hint x %}").render(
        Context({"x": "Логин <ОО>"})
    )
    assert plain == "Логин &lt;ОО&gt;|"  # no term: plain, escaped text and no hint


def test_labels_of_evidence_and_lists_find_their_terms() -> None:
    from shnor.web.identification.presenters import FACT_LABELS

    expected = {
        "p_value": "p",
        "q_value": "q",
        "p_combined": "p",
        "effect": "value_added",
        "interval": "ci",
        "mean_z": "z",
        "reliability": "reliability",
        "comparison_group": "comparison_group",
        "cluster": "cluster",
    }
    for key, term_key in expected.items():
        found = find(FACT_LABELS[key])
        assert (found.key if found else None) == term_key, key
    assert find("Индекс социального неблагополучия").key == "social_index"
    assert find("Вариант сопровождения").key == "track"
    assert find("Маркеров ФИОКО").key == "fioko"
    assert find("Школа") is None
    assert find("Муниципалитет") is None


def test_school_card_evidence_and_list_headers_link_to_the_glossary(world) -> None:
    c = _client(world, "region")
    card = c.get(reverse("identification:school", args=[world.school.school_id])).content.decode()
    assert 'class="term" href="/glossary/#term-' in card  # the sign blocks' facts
    objectivity = c.get(reverse("identification:list", args=["objectivity"])).content.decode()
    assert 'class="term-hint" href="/glossary/#term-q"' in objectivity  # «q-значение» header
    social = c.get(reverse("identification:list", args=["social_risk"])).content.decode()
    assert 'href="/glossary/#term-social_index"' in social
    glossary = c.get(reverse("glossary:index")).content.decode()
    for key in re.findall(r'href="/glossary/#term-([a-z_]+)"', card + objectivity + social):
        assert f'id="term-{key}"' in glossary
