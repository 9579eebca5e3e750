"""The deficit report's PDF as a background job: the request starts a job (one per user and report) and
shows its progress; the finished PDF is downloaded from the same button, at once, until the data change;
another school's report and another user's job stay out of reach."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from shnor.cli import main
from shnor.core.demo import DemoConfig, generate, write_files
from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.identification.deficit_pdf import DEFICIT_PDF_KIND
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.registry.models import School
from tests.web.world import PASSWORD


def _cli(*args: str) -> None:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output


@pytest.fixture
def deficits(transactional_db, home, tmp_path):
    """A generated municipality imported and identified through the CLI; a director of a school with
    deficits and a director of another school."""
    data = generate(
        DemoConfig(
            seed=5, size="municipality", years=(2023, 2024), subjects=("ma",), grades=(4, 5), gia=False
        )
    )
    files = {p.name: p for p in write_files(data, tmp_path / "demo")}
    for kind in ("scales", "tasks", "schools", "context"):
        _cli("import", kind, str(files[f"{kind}.csv"]))
    _cli("import", "vpr", *[str(p) for n, p in sorted(files.items()) if n.startswith("vpr_")])
    _cli("identify", "--year", "2024")
    outcome = (
        SchoolOutcome.objects.filter(method=SchoolOutcome.DEFICITS, flagged=True)
        .select_related("school")
        .order_by("school__school_id")
        .first()
    )
    assert outcome is not None, "генератор не дал школ с дефицитами"
    other = School.objects.exclude(pk=outcome.school.pk).order_by("school_id").first()
    user_create(username="u_director", password=PASSWORD, role=Role.SCHOOL, school=outcome.school)
    user_create(username="u_other", password=PASSWORD, role=Role.SCHOOL, school=other)
    return outcome.school, other


def _client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def test_pdf_is_a_job_with_progress_then_a_cached_download(deficits) -> None:
    school, other = deficits
    run = MethodologyRun.objects.get(year=2024, status=MethodologyRun.DONE)
    url = reverse("identification:deficit_report", args=[school.school_id, "pdf"]) + f"?run={run.pk}"
    c = _client("u_director")

    started = c.get(url)
    assert started.status_code == 302
    job = Job.objects.get(kind=DEFICIT_PDF_KIND)
    progress = reverse("identification:deficit_pdf_job", args=[school.school_id, job.pk])
    assert started["Location"] == progress
    assert job.params["school_id"] == school.school_id
    page = c.get(progress).content.decode()
    assert "Страница обновится сама" in page
    assert 'id="download"' not in page
    assert c.get(url)["Location"] == progress  # asked again while it waits: the same job
    assert Job.objects.filter(kind=DEFICIT_PDF_KIND).count() == 1

    # another director sees neither the job nor the report of a school outside their scope
    stranger = _client("u_other")
    assert stranger.get(progress).status_code == 404
    assert stranger.get(url).status_code == 404

    done = job_execute(job_id=job.pk)
    assert done.status == Job.DONE, done.error
    page = c.get(progress).content.decode()
    assert "Отчёт готов" in page
    assert f'href="{url}"' in page.replace("&amp;", "&")
    pdf = c.get(url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF")
    assert len(body) == done.result["size"]
    assert Job.objects.filter(kind=DEFICIT_PDF_KIND).count() == 1  # served from the kept file

    # the data change (a school renamed in the registry): the kept file is stale, a new job starts
    School.objects.filter(pk=other.pk).update(name=other.name + " (переименована)")
    again = c.get(url)
    assert again.status_code == 302
    assert Job.objects.filter(kind=DEFICIT_PDF_KIND).count() == 2


def test_docx_stays_a_direct_download(deficits) -> None:
    school, _ = deficits
    run = MethodologyRun.objects.get(year=2024, status=MethodologyRun.DONE)
    answer = _client("u_director").get(
        reverse("identification:deficit_report", args=[school.school_id, "docx"]) + f"?run={run.pk}"
    )
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Job.objects.filter(kind=DEFICIT_PDF_KIND).exists()
