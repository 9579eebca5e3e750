"""Schemathesis over the OpenAPI schema of /api/: no operation answers with a server error.

The schema is loaded from the Django WSGI application itself (``/api/openapi.json``); every operation gets a
bounded number of generated requests — valid ones (positive) and ones that break the schema (negative) — as a
region user with a real ``Bearer shn_…`` token, then anonymously, where every answer must be 401, never
5xx."""

from __future__ import annotations

import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from shnor.web.accounts.services import api_token_create
from shnor.web.practices import services as practices
from tests.web.test_events import api_entries as events_api
from tests.web.test_interviews import api_entries as interviews_api
from tests.web.test_submissions import api_entries as submissions_api

# Only the 200 answers are documented; 401/404/422 come from the framework and are not in the schema, so
# status_code_conformance is left out. The other checks that make sense for a read-only API:
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, negative_data_rejection]
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,  # the same requests on every run: a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
BIG = 2**70  # beyond a 64-bit integer: once a 500 (OverflowError in the database driver)
# The identifiers of the test world, which random strings never hit, and past regressions.
KNOWN: dict[str, list[tuple[dict, dict]]] = {
    "/api/schools": [({}, {"q": "СОШ"}), ({}, {"municipality": BIG}), ({}, {"q": "a\x00b"})],
    "/api/schools/{school_id}": [({"school_id": "sch0001"}, {}), ({"school_id": "sch0009"}, {})],
    "/api/schools/{school_id}/outcomes": [
        ({"school_id": "sch0001"}, {}),
        ({"school_id": "sch0001"}, {"run": BIG}),
    ],
    "/api/lists/{kind}": [({"kind": k}, {}) for k in ("low_results", "social_risk", "objectivity", "fioko")]
    + [
        ({"kind": "low_results"}, {"year": 2023, "min_years": 2, "track": "network"}),
        ({"kind": "objectivity"}, {"year": BIG, "run": BIG, "municipality": BIG, "min_years": BIG}),
    ],
    "/api/resources/needs/{school_id}": [({"school_id": "sch0001"}, {"year": 2024})],
    "/api/people/schools/{school_id}": [({"school_id": "sch0001"}, {})],
    "/api/schools/{school_id}/evaluations": [({"school_id": "sch0001"}, {})],
    "/api/people/internships": [({}, {})],
    "/api/people/mentoring": [({}, {})],
    "/api/people/reserve": [({}, {})],
    "/api/people/competition-entries": [({}, {})],
    "/api/practices/search": [({}, {"q": "чтение"}), ({}, {})],
    "/api/resources/decisions": [({}, {}), ({}, {"year": 2024})],
    "/api/lists/{kind}/state": [({"kind": "low_results"}, {}), ({"kind": "objectivity"}, {"year": 2023})],
}


def _fuzz(strategy, body, examples: int = 20) -> None:
    """Run ``body(case)`` over ``examples`` generated cases."""

    @settings(SETTINGS, max_examples=examples)
    @given(case=strategy)
    def run(case) -> None:
        body(case)

    run()


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 8, [op.label for op in ops]
    return ops


def test_no_server_errors_with_a_token(world, keep_db_connection) -> None:
    _, key = api_token_create(user=world.users["region"], name="schemathesis")
    headers = {"Authorization": f"Bearer {key}"}
    seen: dict[str, set[int]] = {}
    practice = practices.practice_save(
        actor=world.users["school"], data={"title": "Клуб чтения", "description": "Дефициты чтения"}
    )
    practices.practice_submit(actor=world.users["school"], practice=practice)
    practices.practice_moderate(actor=world.users["region"], practice=practice, publish=True)
    known = {
        **KNOWN,
        "/api/practices/{practice_id}": [({"practice_id": practice.pk}, {})],
        **events_api(world),
        **submissions_api(world),
        **interviews_api(world),
    }

    def call(op, case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen.setdefault(op.label, set()).add(response.status_code)

    for op in _operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(op.as_strategy(generation_mode=mode), lambda case, op=op: call(op, case))
        for path, query in known.get(op.path, []):
            call(op, op.Case(path_parameters=path, query=query))
    assert all(code < 500 for codes in seen.values() for code in codes), seen
    # the token works: every operation answered 200 at least once
    assert all(200 in codes for codes in seen.values()), seen
    assert 422 in seen["GET /api/schools"]  # the oversized municipality id is refused, not a 500


def test_anonymous_gets_401_never_5xx(world, keep_db_connection) -> None:
    seen: dict[str, set[int]] = {}

    def call(op, case) -> None:
        response = case.call()
        seen.setdefault(op.label, set()).add(response.status_code)
        assert response.status_code == 401, (case.formatted_path, response.status_code)

    for op in _operations():
        _fuzz(op.as_strategy(), lambda case, op=op: call(op, case), examples=5)
        # a wrong token is no better than none
        ids = {
            "school_id": "sch0001",
            "kind": "objectivity",
            "practice_id": 1,
            "event_id": 1,
            "request_id": 1,
        }
        response = op.Case(path_parameters={k: v for k, v in ids.items() if f"{{{k}}}" in op.path}).call(
            headers={"Authorization": "Bearer shn_not-a-real-token"}
        )
        assert response.status_code == 401
    assert len(seen) >= 8, seen
    assert all(codes == {401} for codes in seen.values()), seen
