"""The API's orjson renderer writes the document Ninja's ``json.dumps`` renderer wrote, a school's
outcomes are kept whole per school and set of done runs without a scope or a run leaking through, and
checked against their schema as Ninja checks them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import TypeAdapter, ValidationError

from shnor.web.api.renderer import dumps
from shnor.web.api.schemas import OutcomeOut
from shnor.web.api.validation import plain_adapter, plain_model
from shnor.web.identification.models import MethodologyRun

VALUES = {
    "текст": "Школа № 1 «Лицей»",
    "aware": dt.datetime(2026, 12, 7, 6, 30, 15, 123456, tzinfo=dt.UTC),
    "aware_whole": dt.datetime(2026, 12, 7, 6, 30, 15, tzinfo=dt.UTC),
    "moscow": dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))),
    "naive": dt.datetime(2026, 12, 7, 6, 30, 15, 5),
    "date": dt.date(2026, 12, 7),
    "time": dt.time(6, 30, 15, 250000),
    "duration": dt.timedelta(days=1, seconds=5),
    "decimal": Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Итоги методики"),
    "numbers": [1, 2.5, -0.001, 10**15, True, None],
    "keys": {1: "один", 2: {"вложено": [1, 2]}},
}


def test_the_renderer_writes_what_ninjas_json_renderer_wrote() -> None:
    ours = json.loads(dumps(VALUES))
    theirs = json.loads(json.dumps(VALUES, cls=NinjaJSONEncoder))
    assert ours == theirs
    assert ours["aware"] == "2026-12-07T06:30:15.123Z"  # ECMA-262: milliseconds, «Z» for UTC
    assert "Школа".encode() in dumps(VALUES)  # UTF-8, not \\u escapes


def test_nan_is_null_not_the_nan_json_does_not_have() -> None:
    assert json.loads(dumps({"x": float("nan")})) == {"x": None}


def test_api_answers_are_utf8_json(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    resp = c.get("/api/schools?limit=5")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    assert "\\u04" not in resp.content.decode()
    assert resp.json()["items"]


def _outcomes(c: Client, sid: str, query: str = "") -> tuple[int, bytes]:
    resp = c.get(f"/api/schools/{sid}/outcomes{query}")
    return resp.status_code, resp.content


def test_outcomes_are_kept_whole_and_read_back_without_the_outcomes_query(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    sid = world.school.school_id
    status, first = _outcomes(c, sid)
    assert status == 200
    with CaptureQueriesContext(connection) as again:
        status, second = _outcomes(c, sid)
    assert status == 200
    assert second == first
    assert not any("identification_schooloutcome" in q["sql"] for q in again.captured_queries)
    rows = json.loads(first)
    assert {r["run_id"] for r in rows} == {world.run.pk, world.run_old.pk}
    assert [r["year"] for r in rows] == sorted((r["year"] for r in rows), reverse=True)
    assert all(set(r["presentation"]) == {"label", "facts", "signs", "charts"} for r in rows)
    assert any(r["presentation"]["facts"] for r in rows)
    # one run asked for: only its outcomes, under a key of its own
    status, one = _outcomes(c, sid, f"?run={world.run_old.pk}")
    assert status == 200
    assert {r["run_id"] for r in json.loads(one)} == {world.run_old.pk}


def test_a_removed_run_leaves_the_kept_outcomes(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    sid = world.school.school_id
    assert {r["run_id"] for r in json.loads(_outcomes(c, sid)[1])} == {world.run.pk, world.run_old.pk}
    MethodologyRun.objects.filter(pk=world.run_old.pk).update(status=MethodologyRun.FAILED)
    assert {r["run_id"] for r in json.loads(_outcomes(c, sid)[1])} == {world.run.pk}
    assert json.loads(_outcomes(c, sid, f"?run={world.run_old.pk}")[1]) == []


def test_kept_outcomes_are_not_given_to_a_user_who_may_not_see_the_school(world) -> None:
    region = Client()
    region.force_login(world.users["region"])
    far = world.far.school_id
    assert _outcomes(region, far)[0] == 200  # now kept
    school = Client()
    school.force_login(world.users["school"])
    assert _outcomes(school, far)[0] == 404
    assert _outcomes(school, world.school.school_id)[0] == 200


class _Bounded(Schema):
    """A schema with constraints on its fields."""

    name: str = Field(min_length=2)
    share: float = Field(ge=0, le=1)


def test_the_plain_check_keeps_a_schemas_constraints() -> None:
    plain = plain_adapter(list[_Bounded])
    assert _dumped(plain, [{"name": "ab", "share": 0.5}]) == [{"name": "ab", "share": 0.5}]
    for wrong in ({"name": "a", "share": 0.5}, {"name": "ab", "share": 1.5}):
        with pytest.raises(ValidationError):
            TypeAdapter(list[_Bounded]).validate_python([wrong])
        with pytest.raises(ValidationError):
            plain.validate_python([wrong])


class _Resolved(Schema):
    """A schema filled by a ``resolve_…`` method: only Ninja can check it."""

    name: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return "x"


def _dumped(adapter: TypeAdapter, rows: list) -> list:
    return [r.model_dump() for r in adapter.validate_python(rows)]


def test_the_outcomes_check_is_ninjas_without_its_wrapper(world) -> None:
    """``plain_adapter`` gives what Ninja's schema gives for the answer's rows and refuses what it refuses."""
    c = Client()
    c.force_login(world.users["region"])
    rows = json.loads(_outcomes(c, world.school.school_id)[1])
    with_signs = [r for r in rows if r["presentation"]["signs"]]
    assert with_signs
    ninja, plain = TypeAdapter(list[OutcomeOut]), plain_adapter(list[OutcomeOut])
    assert _dumped(plain, rows) == _dumped(ninja, rows)
    # defaults filled the same way: a sign without its badge and sentences
    row = with_signs[0]
    sign = {k: v for k, v in row["presentation"]["signs"][0].items() if k not in ("badge", "sentences")}
    short = [{**row, "presentation": {**row["presentation"], "signs": [sign]}}]
    assert _dumped(plain, short) == _dumped(ninja, short)
    assert _dumped(plain, short)[0]["presentation"]["signs"][0]["sentences"] == []
    bad = [
        [{**row, "flagged": "может быть"}],
        [{k: v for k, v in row.items() if k != "presentation"}],
        [{**row, "presentation": {**row["presentation"], "facts": [{"label": "Порог"}]}}],
    ]
    for wrong in bad:
        with pytest.raises(ValidationError):
            ninja.validate_python(wrong)
        with pytest.raises(ValidationError):
            plain.validate_python(wrong)
    with pytest.raises(TypeError):
        plain_model(_Resolved)
