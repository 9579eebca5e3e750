"""Every flagged school of a generated demo region gets a case whose dossier a methodologist can read: no
Latin identifiers, no e-notation, and no sign said to stand out when its p- or q-value is above the
threshold it is compared with."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from django.contrib.auth import get_user_model
from docx import Document

from shnor.cli import main
from shnor.core.demo import DemoConfig, generate, write_files
from shnor.core.reports.case_dossier import case_dossier_docx
from shnor.web.cases import services as case_services
from shnor.web.cases.dossier import dossier_build
from shnor.web.identification.services import methodology_run_create

#: Latin words a dossier may hold: file formats (and the school's own ФИС ОКО login).
ALLOWED = {"DOCX", "PDF", "XLSX"}
LATIN = re.compile(r"[A-Za-z][A-Za-z_0-9]*")
E_NOTATION = re.compile(r"\d[.,]?\d*[eE][-+]?\d")


def _text(blob: bytes) -> str:
    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


@pytest.mark.django_db
def test_every_flagged_demo_school_has_a_readable_dossier(home, tmp_path) -> None:
    data = generate(
        DemoConfig(
            seed=7, size="municipality", years=(2023, 2024), subjects=("ma", "ru"), grades=(4, 5), gia=False
        )
    )
    files = {p.name: p for p in write_files(data, tmp_path / "demo")}
    for kind, names in (
        ("scales", ["scales.csv"]),
        ("tasks", ["tasks.csv"]),
        ("schools", ["schools.csv"]),
        ("context", ["context.csv"]),
        ("vpr", sorted(n for n in files if n.startswith("vpr_"))),
    ):
        res = CliRunner().invoke(
            main, ["import", kind, *[str(files[n]) for n in names]], catch_exceptions=False
        )
        assert res.exit_code == 0, res.output
    run, _ = methodology_run_create(year=2024, keep_evidence=False)
    analyst = get_user_model().objects.create_superuser("analyst", password="Пароль-для-тестов-1")
    cases = case_services.cases_open(actor=analyst, year=2024, run=run)
    assert cases, "the demo plants manipulating schools: some must be flagged"
    for case in cases:
        dossier = dossier_build(case)
        assert dossier.signs, case.school.school_id
        for sign in dossier.signs:  # «выделяется» exactly when the compared value is within the threshold
            where = (case.school.school_id, sign.code, sign.value, sign.threshold)
            if sign.significant:
                assert sign.value is not None, where
                assert sign.threshold is not None, where
                assert sign.value <= sign.threshold, where
            elif sign.value is not None and sign.threshold is not None:
                assert sign.value > sign.threshold, where
        text = _text(case_dossier_docx(dossier))
        latin = {
            w for w in LATIN.findall(text) if w not in ALLOWED | {case.school.school_id}
        }  # ФИС ОКО login
        assert not latin, (case.school.school_id, sorted(latin)[:10])
        assert not E_NOTATION.search(text), case.school.school_id
        assert "выделяется" in text
