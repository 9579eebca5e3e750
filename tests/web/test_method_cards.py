"""Method cards pages: every card for every logged-in user, the full card with its verdict-based rates
(from the cases app when it is there), DOCX downloads, anonymous visitors refused."""

from __future__ import annotations

import io
import sys

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from shnor.core.method_cards import cards_load
from shnor.core.reports.method_card import NO_VERDICTS
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.identification.selectors import run_pick
from shnor.web.monitoring import method_cards

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def no_cases_app(monkeypatch):
    """The cases app absent (``_sign_table`` finds nothing to import)."""
    monkeypatch.setattr(method_cards, "_sign_table", lambda: None)


@pytest.fixture
def cases_app(monkeypatch):
    """A cases app whose ``sign_table`` returns fixed rows and records what it was asked."""
    calls: list[dict] = []

    def sign_table(*, schools, year):
        calls.append({"schools": set(schools.values_list("pk", flat=True)), "year": year})
        return [
            {"code": "bunching", "raised": 5, "reviewed": 3, "confirmed": 1},
            {"code": "journal", "raised": 2, "reviewed": 1, "confirmed": 0},
        ]

    monkeypatch.setattr(method_cards, "_sign_table", lambda: sign_table)
    return calls


def test_an_absent_cases_app_is_no_sign_table(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "shnor.web.cases.selectors", None)
    assert method_cards._sign_table() is None


def test_a_run_without_reviewed_cases_says_no_reviews_yet(world, monkeypatch) -> None:
    rows = [{"code": "bunching", "raised": 4, "reviewed": 0, "confirmed": 0}]
    monkeypatch.setattr(method_cards, "_sign_table", lambda: lambda *, schools, year: rows)
    assert method_cards.verdict_rates(world.users["region"]) == {}


@pytest.mark.parametrize(
    "url",
    [
        reverse("monitoring:method_cards"),
        reverse("monitoring:method_card", args=["objectivity"]),
        reverse("monitoring:method_card", args=["objectivity"]) + "?format=docx",
    ],
)
def test_anonymous_visitors_are_sent_to_login(db, url) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_every_card_and_the_menu_link(world, role, no_cases_app) -> None:
    page = login(world.users[role]).get(reverse("monitoring:method_cards"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("monitoring:method_cards")}">Методики</a>' in html
    for card in cards_load().values():
        assert card.title in html
        assert reverse("monitoring:method_card", args=[card.code]) in html


def test_full_card_shows_every_section_and_the_settings_version(world, no_cases_app) -> None:
    card = cards_load()["low_results"]
    page = login(world.users["school"]).get(reverse("monitoring:method_card", args=[card.code]))
    assert page.status_code == 200
    html = page.content.decode()
    for heading in ("Исходные данные", "Как работает", "Чего отметка НЕ означает", "Рассмотрение человеком"):
        assert heading in html
    for line in card.how + card.review:
        assert line.replace("«", "&laquo;").replace("»", "&raquo;") in html or line in html
    assert f"Версия настроек методики: {card.version}" in html
    assert NO_VERDICTS in html


def test_the_command_is_shown_as_code_and_escaped(world, no_cases_app) -> None:
    html = login(world.users["region"]).get(reverse("monitoring:method_card", args=["objectivity"]))
    text = html.content.decode()
    assert "<code>python -c &quot;from shnor.core.methods.objectivity_eval import evaluate;" in text
    assert "`" not in text.split("<main", 1)[-1]


def test_without_the_cases_app_the_card_says_no_reviews_yet(world, no_cases_app) -> None:
    page = login(world.users["region"]).get(reverse("monitoring:method_card", args=["objectivity"]))
    assert page.context["verdict_rate"] == NO_VERDICTS


def test_with_cases_the_objectivity_card_shows_confirmed_of_reviewed(world, cases_app) -> None:
    user = world.users["municipality"]
    page = login(user).get(reverse("monitoring:method_card", args=["objectivity"]))
    assert "Подтверждено после рассмотрения: 1 из 4 рассмотренных (флагов: 7)" in page.content.decode()
    (call,) = cases_app
    assert call["year"] == run_pick().year
    assert call["schools"] == set(schools_visible_to(user=user).values_list("pk", flat=True))
    assert world.foreign.pk not in call["schools"]


def test_cases_rates_belong_to_the_objectivity_card_only(world, cases_app) -> None:
    page = login(world.users["region"]).get(reverse("monitoring:method_card", args=["fioko"]))
    assert page.context["verdict_rate"] == NO_VERDICTS


def test_one_card_downloads_as_docx_with_its_verdict_rate(world, cases_app) -> None:
    response = login(world.users["region"]).get(
        reverse("monitoring:method_card", args=["objectivity"]) + "?format=docx"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert cards_load()["objectivity"].title in text
    assert "Подтверждено после рассмотрения: 1 из 4" in text


def test_all_cards_download_as_one_docx(world, no_cases_app) -> None:
    response = login(world.users["teacher"]).get(reverse("monitoring:method_cards") + "?format=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    for card in cards_load().values():
        assert card.title in text


def test_unknown_method_is_not_found_and_unknown_format_refused(world, no_cases_app) -> None:
    client = login(world.users["region"])
    assert client.get(reverse("monitoring:method_card", args=["nonexistent"])).status_code == 404
    assert client.get(reverse("monitoring:method_cards") + "?format=pdf").status_code == 400


def test_the_cases_app_when_present_is_asked(world) -> None:
    selectors = pytest.importorskip("shnor.web.cases.selectors")
    assert method_cards._sign_table() is selectors.sign_table
    page = login(world.users["region"]).get(reverse("monitoring:method_card", args=["objectivity"]))
    assert page.status_code == 200
    assert page.context["verdict_rate"] == NO_VERDICTS  # the test region has no cases
