"""The audit journal reads in Russian: actions, object kinds, field names and values."""

from __future__ import annotations

import pytest

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.audit_display import entry_view, value_text


def test_values_read_as_words() -> None:
    assert value_text(True) == "да"
    assert value_text(False) == "нет"
    assert value_text(None) == "—"
    assert value_text(0.25) == "0,25"
    assert value_text("a" * 64) == "контрольная сумма"
    assert value_text({"old": 1, "new": 2}) == "1 → 2"
    assert value_text(list(range(15))).endswith("и ещё 3")
    assert value_text("['common', 'zz_unknown']") == "Общие региональные мероприятия, служебный код"
    assert value_text("Связь profile-school") == "связь"
    assert value_text("['ab', 'cd', 'e") == "3 и более"
    assert value_text("vpr_2024_ru8_demo.xlsx") == "vpr_2024_ru8_demo.xlsx"
    assert value_text("vpr") == "ВПР"


@pytest.mark.django_db
def test_a_model_labelled_entry_shows_russian_names() -> None:
    entry = audit_record(
        action="create",
        object_type="diagnostics.teacher",
        object_repr="Иванова",
        changes={"full_name": "Иванова А. А.", "is_young": True, "internal_flag_x": 1},
    )
    view = entry_view(entry)
    assert view.action == "создание"
    assert view.object_kind == "учитель"
    text = " ".join(view.changes)
    assert "full_name" not in text
    assert "Иванова А. А." in text
    assert view.hidden >= 1  # a key with no Russian name is counted, not shown raw


@pytest.mark.django_db
def test_journal_page_has_no_raw_dicts(world) -> None:
    from django.test import Client

    audit_record(
        action="update", object_type="monitoring.indicatorvalue", changes={"value": 3.5, "ok": False}
    )
    c = Client()
    c.force_login(world.users["region"])
    body = c.get("/accounts/audit/").content.decode()
    assert "{'" not in body
    assert "'value'" not in body
    assert "изменение" in body
