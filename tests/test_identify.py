"""End to end on a generated municipality: CLI imports, `shnor identify`, its outputs, the card."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from shnor.cli import main
from shnor.core.demo import DemoConfig, generate, write_files
from shnor.core.evidence.objectivity_shared import resolve_data
from shnor.core.reports.identify_outputs import OUTPUTS
from shnor.web.accounts.models import Profile, Role
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.services import methodology_run_create
from shnor.web.registry.models import School

pytestmark = pytest.mark.django_db

FORMATS_COLUMNS = {
    "fioko_markers.csv": "year,school_id,procedure,subject,grade,marker,value,threshold",
    "objectivity.csv": "school_id,flagged,n_signs,signs,strongest_sign,q_value,evidence",
    "low_results.csv": "school_id,low_results,years_in_list,first_year,indicators,cluster",
    "social_index.csv": "school_id,index,rank,social_risk",
    "tracks.csv": "school_id,track,reasons",
}


def run(*args: str):
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def imported(home, tmp_path):
    data = generate(
        DemoConfig(
            seed=5, size="municipality", years=(2023, 2024), subjects=("ma",), grades=(4, 5), gia=False
        )
    )
    files = {p.name: p for p in write_files(data, tmp_path / "demo")}
    run("import", "scales", str(files["scales.csv"]))
    run("import", "tasks", str(files["tasks.csv"]))
    run("import", "schools", str(files["schools.csv"]))
    run("import", "context", str(files["context.csv"]))
    run("import", "vpr", *[str(p) for n, p in sorted(files.items()) if n.startswith("vpr_")])
    return data


def test_identify_writes_the_formats_outputs_and_stores_the_run(imported, tmp_path) -> None:
    run("identify", "--year", "2023")
    res = run("identify", "--year", "2024", "--out", str(tmp_path / "out"), "--label", "проверка")
    latest = MethodologyRun.objects.get(year=2024)
    assert f"Расчёт №{latest.pk} за 2024" in res.output
    for name, header in FORMATS_COLUMNS.items():
        with open(tmp_path / "out" / name, encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert ",".join(rows[0]) == header, name
    with open(tmp_path / "out" / "objectivity.csv", encoding="utf-8") as fh:
        ids = {r["school_id"] for r in csv.DictReader(fh)}
    assert ids == set(imported.schools["school_id"].to_list())  # one row per school with results
    book = openpyxl.load_workbook(tmp_path / "out" / "identify.xlsx", read_only=True)
    assert book.sheetnames == [sheet for _cols, _ru, sheet in OUTPUTS.values()]
    assert [c.value for c in next(book["ШНОР"].iter_rows(max_row=1))] == OUTPUTS["low_results"][1]
    assert latest.status == MethodologyRun.DONE
    assert latest.label == "проверка"
    assert len(latest.config_digest) == 64
    assert "objectivity" in latest.config
    # persistence uses the stored 2023 run: years_in_list is never more than the years run so far
    assert all(
        o.data.get("years_in_list", 0) <= 2
        for o in SchoolOutcome.objects.filter(run=latest, method="low_results")
    )
    assert SchoolOutcome.objects.filter(run=latest, method=SchoolOutcome.DEFICITS).exists()


def test_deficit_report_from_the_card_is_scoped(imported) -> None:
    run("identify", "--year", "2024")
    outcome = (
        SchoolOutcome.objects.filter(method=SchoolOutcome.DEFICITS, flagged=True)
        .select_related("school")
        .first()
    )
    assert outcome is not None
    school = outcome.school
    other = School.objects.exclude(pk=school.pk).first()
    user = User.objects.create_user("director", password="x")
    Profile.objects.create(
        user=user, role=Role.SCHOOL, school=school, municipality=school.municipality, region=school.region
    )
    c = Client()
    c.force_login(user)
    card = c.get(reverse("identification:school", kwargs={"school_id": school.school_id}))
    html = card.content.decode()
    assert "Дефициты умений" in html
    assert "deficits.docx" in html
    doc = c.get(
        reverse("identification:deficit_report", kwargs={"school_id": school.school_id, "fmt": "docx"})
    )
    assert doc.status_code == 200
    assert doc.content[:2] == b"PK"
    assert (
        c.get(
            reverse("identification:deficit_report", kwargs={"school_id": other.school_id, "fmt": "docx"})
        ).status_code
        == 404
    )


def test_stored_evidence_is_the_methods_json(imported) -> None:
    """Evidence is written unparsed (spliced into the outcome's data): reading it back gives the
    method's JSON and the row's other columns, on SQLite and on PostgreSQL."""
    import json

    from shnor.web.identification.store import outcome_data

    run, frames = methodology_run_create(year=2024, label="evidence")
    for method, stem in (
        (SchoolOutcome.OBJECTIVITY, "objectivity"),
        (SchoolOutcome.LOW_RESULTS, "low_results"),
    ):
        row = frames[stem].row(0, named=True)
        stored = SchoolOutcome.objects.get(run=run, method=method, school__school_id=row["school_id"]).data
        if method == SchoolOutcome.OBJECTIVITY:  # format 3: the run's shared parts put back
            assert stored["evidence"]["format"] == 3
            shared = MethodologyRun.objects.get(pk=run.pk).evidence_shared["objectivity"]
            stored = resolve_data(stored, shared)
        assert stored["evidence"] == json.loads(row["evidence"])
        assert stored["school_id"] == row["school_id"]
    bad = outcome_data({"school_id": "x", "evidence": "{not json"})
    assert json.loads(bad) == {"school_id": "x", "evidence": "{not json"}
    # the JSON check SQLite skips for these inserts is back on for everything else
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            assert cur.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0


def test_outcome_data_is_json_whatever_the_row_holds() -> None:
    """``data`` is stored without the database's JSON check (SQLite): NaN becomes null, evidence in
    bytes or text is spliced in, evidence that is not JSON is kept as text, infinity is refused."""
    import json
    import math

    import pytest

    from shnor.web.identification.store import outcome_data

    out = outcome_data({"school_id": "ш1", "q_value": math.nan}, evidence=b'{"a": [1, null]}')
    assert json.loads(out) == {"school_id": "ш1", "q_value": None, "evidence": {"a": [1, None]}}
    assert json.loads(outcome_data({"school_id": "x", "evidence": None})) == {
        "school_id": "x",
        "evidence": None,
    }
    assert json.loads(outcome_data({"school_id": "x"})) == {"school_id": "x"}
    assert json.loads(outcome_data({"school_id": "x"}, evidence=b"[1,")) == {
        "school_id": "x",
        "evidence": "[1,",
    }
    with pytest.raises(ValueError, match="JSON"):
        outcome_data({"school_id": "x", "value": math.inf}, evidence=b"{}")


def test_deficits_are_stored_as_their_rows_in_gap_order(home) -> None:
    """The deficit rows' JSON is built by Polars: it must read back as the rows themselves (NaN as
    null, Cyrillic and quotes intact), weakest first, with the school/class counts and top labels."""
    import math

    import polars as pl

    from shnor.web.identification.store import DEFICIT_FIELDS, deficits_store
    from shnor.web.registry.services import schools_ensure

    def row(sid, unit, label, gap, success=0.5):
        r = {k: None for k in DEFICIT_FIELDS}
        r.update(
            procedure="vpr",
            subject="ma",
            grade=4,
            unit=unit,
            class_name=None if unit == "school" else "4А",
            dimension="skill",
            element=label,
            element_label=label,
            levels="Б",
            tasks="3, 4",
            n_pupils=20,
            success=success,
            lower=0.3,
            upper=0.7,
            comparison_kind="region",
            comparison_success=0.7,
            gap=gap,
            absolute_status="mastered",
            topic="ma.x",
            recommendation_ids="a;b",
            persists_grade=False,
            persists_cohort=True,
        )
        return {"school_id": sid, **r}

    rows = [
        row("s1", "school", 'Дроби «и» "кавычки"', -0.10),
        row("s1", "class", "Дроби", -0.30, success=float("nan")),
        row("s1", "school", "Геометрия", -0.20),
        row("s1", "school", "Геометрия", -0.15),
        row("s1", "school", "Текстовые задачи", -0.12),
        row("s1", "school", "Величины", -0.11),
        row("s2", "class", "Дроби", -0.25),
    ]
    gaps = pl.DataFrame(rows, infer_schema_length=None)
    schools_ensure(
        schools=pl.DataFrame({"school_id": ["s1"]}), source="тест"
    )  # s2 is not in the registry yet
    run = MethodologyRun.objects.create(year=2024, config={}, config_digest="x")
    deficits_store(run, gaps, chunk_schools=1)  # one school per chunk: the chunking is exercised too
    s1 = SchoolOutcome.objects.get(run=run, method=SchoolOutcome.DEFICITS, school__school_id="s1")
    s2 = SchoolOutcome.objects.get(run=run, method=SchoolOutcome.DEFICITS, school__school_id="s2")
    want = sorted((r for r in rows if r["school_id"] == "s1"), key=lambda r: r["gap"])
    expect = [
        {k: None if isinstance(r[k], float) and math.isnan(r[k]) else r[k] for k in DEFICIT_FIELDS}
        for r in want
    ]
    assert s1.data["deficits"] == expect
    assert (s1.data["school_deficits"], s1.data["class_deficits"]) == (5, 1)
    assert (s1.flagged, s1.value) == (True, 5.0)
    assert s1.label == "Геометрия; Текстовые задачи; Величины"
    assert (s2.flagged, s2.value, s2.label, s2.data["class_deficits"]) == (False, 0.0, "", 1)


def test_outcomes_are_inserted_many_rows_a_statement_each_as_given() -> None:
    """``outcomes_insert`` writes several rows per statement: with 3 a statement, 8 rows make two
    full statements and a short one, and every row reads back as given (bytes and text data, None
    values, Cyrillic labels), none twice or lost."""
    import json

    import polars as pl

    from shnor.web.identification.store import outcomes_insert
    from shnor.web.registry.services import schools_ensure

    ids = [f"ш{i}" for i in range(8)]
    schools_ensure(schools=pl.DataFrame({"school_id": ids}), source="тест")
    pks = dict(School.objects.filter(school_id__in=ids).values_list("school_id", "pk"))
    run = MethodologyRun.objects.create(year=2024, config={}, config_digest="x")
    rows = [
        (
            pks[sid],
            SchoolOutcome.OBJECTIVITY,
            i % 2 == 0,
            None if i == 3 else i / 10,
            f"признак {i}",
            json.dumps({"i": i, "s": "«ё»"}, ensure_ascii=False).encode() if i % 2 else json.dumps({"i": i}),
        )
        for i, sid in enumerate(ids)
    ]
    outcomes_insert(run, iter(rows), per_statement=3)
    got = {o.school.school_id: o for o in SchoolOutcome.objects.filter(run=run).select_related("school")}
    assert sorted(got) == sorted(ids)
    for i, sid in enumerate(ids):
        o = got[sid]
        assert (o.method, o.flagged, o.value, o.label) == (
            rows[i][1],
            i % 2 == 0,
            None if i == 3 else i / 10,
            f"признак {i}",
        )
        assert o.data == ({"i": i, "s": "«ё»"} if i % 2 else {"i": i})


def test_a_run_that_fails_after_storing_objectivity_leaves_no_outcomes(imported, monkeypatch) -> None:
    """Objectivity's outcomes are stored before the later methods run: a failure after that must not
    leave them behind, and the run is marked failed."""
    from shnor.core.methods import deficits

    def boom(*_a, **_k):
        raise RuntimeError("сбой на дефицитах")

    monkeypatch.setattr(deficits, "run", boom)
    with pytest.raises(RuntimeError, match="сбой на дефицитах"):
        methodology_run_create(year=2024, label="сбой")
    failed = MethodologyRun.objects.get(label="сбой")
    assert failed.status == MethodologyRun.FAILED
    assert "сбой на дефицитах" in failed.error
    assert not SchoolOutcome.objects.filter(run=failed).exists()


def test_without_keep_evidence_the_objectivity_evidence_is_stored_not_returned(imported) -> None:
    run, frames = methodology_run_create(year=2024, label="без доказательств", keep_evidence=False)
    assert "evidence" not in frames["objectivity"].columns
    assert "evidence" in frames["low_results"].columns
    stored = SchoolOutcome.objects.filter(run=run, method=SchoolOutcome.OBJECTIVITY)
    assert stored.count() == frames["objectivity"].height
    assert all(o.data["evidence"]["signs"] for o in stored)
