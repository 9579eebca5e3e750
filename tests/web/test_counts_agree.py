"""One count per list everywhere: the region dashboard's cards, the map's legend, the list page, its XLSX,
the yearly report and FIOKO's export in its own layout (which differs from the list only by the stated,
tested rule: its columns are ВПР 4–5 only)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from shnor.web.identification.membership import LISTS
from shnor.web.identification.models import SchoolOutcome
from shnor.web.monitoring import reports as rep
from tests.web.report_client import report_fetch

VPR_MARKER = {"marker": "inflated_mean", "procedure": "vpr", "subject": "ma", "grade": 4}
OGE_MARKER = {"marker": "inflated_mean", "procedure": "oge", "subject": "ru", "grade": 9}


@pytest.fixture
def marked(world):
    """FIOKO's markers as the method stores them: sch0001 with a ВПР 4 maths marker (a row of FIOKO's
    layout), sch0002 with an ОГЭ marker only (on the list, not in FIOKO's layout)."""
    SchoolOutcome.objects.filter(run=world.run, method=SchoolOutcome.FIOKO, school=world.school).update(
        data={"markers": [VPR_MARKER, {**VPR_MARKER, "marker": "journal_mismatch"}]}, value=2
    )
    SchoolOutcome.objects.filter(run=world.run, method=SchoolOutcome.FIOKO, school=world.neighbour).update(
        flagged=True, value=1, data={"markers": [OGE_MARKER]}
    )
    return world


def _client(world, role: str = "region") -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def _xlsx_rows(content: bytes, first: int) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [r for r in sheet.iter_rows(min_row=first, values_only=True) if r and r[0]]


def _legend(figure: dict) -> dict[str, int]:
    out = {}
    for trace in figure["data"]:
        m = re.fullmatch(r"(.+) \((\d+)\)", trace["name"])
        assert m, trace["name"]
        assert int(m.group(2)) == len(trace["x"])  # the legend counts the points drawn
        out[m.group(1)] = int(m.group(2))
    return out


def test_every_count_of_a_list_agrees(marked) -> None:
    world = marked
    c = _client(world)
    region = c.get(reverse("identification:region", args=[world.region.pk]) + f"?run={world.run.pk}")
    dash = region.context["dash"]
    cards = {x["code"]: x["n"] for x in dash["counts"]}
    legend = _legend(dash["figures"]["map"])
    annual = rep.annual_data(user=world.users["region"], unit=rep.Unit("region", world.region), year=2024)
    yearly = next(r for r in annual.lists_by_year if r["year"] == 2024)
    yearly_marked = next(r for r in annual.objectivity_index if r["year"] == 2024)["n_marked"]
    for code, spec in LISTS.items():
        page = c.get(reverse("identification:list", args=[code]) + f"?run={world.run.pk}")
        listed = page.context["page"].paginator.count
        shown = page.content.decode()
        assert f'<b id="list-count">{listed}</b>' in shown
        export = c.get(reverse("identification:export", args=[code]) + f"?run={world.run.pk}")
        assert len(_xlsx_rows(export.content, 4)) == listed
        assert cards[code] == listed, code
        assert legend.get(spec.short, 0) == listed, code
        if code == "fioko":
            assert yearly_marked == listed
        else:
            assert yearly[code] == listed, code
    assert cards["fioko"] == 2


def test_fioko_layout_differs_only_by_the_stated_rule(marked) -> None:
    world = marked
    c = _client(world)
    page = c.get(reverse("identification:list", args=["fioko"]) + f"?run={world.run.pk}")
    rows = page.context["rows"]
    assert {r["school_id"]: r["in_fioko_format"] for r in rows} == {"sch0001": "да", "sch0002": "нет"}
    note = page.context["fioko_format"]
    assert note["n"] == 1
    text = page.content.decode()
    assert "только для ВПР 4–5 классов" in text
    assert "школ: <b>1</b> из 2" in text
    official = report_fetch(c, "fioko_list", {"unit": f"region:{world.region.pk}", "year": 2024})
    logins = [r[1] for r in _xlsx_rows(official, 2)]
    assert logins == [r["school_id"] for r in rows if r["in_fioko_format"] == "да"]
    book = openpyxl.load_workbook(io.BytesIO(official))
    assert book.active.title == "Признаки необъективности"
    reports_page = c.get(reverse("monitoring:reports")).content.decode()
    assert "только для ВПР 4–5 классов" in reports_page


def test_signs_chart_counts_schools_and_says_so(marked) -> None:
    world = marked
    c = _client(world)
    dash = c.get(reverse("identification:region", args=[world.region.pk])).context["dash"]
    signs = dash["figures"]["signs"]
    listed = next(x["n"] for x in dash["counts"] if x["code"] == "objectivity")
    assert max(signs["data"][0]["x"]) <= listed  # a bar counts schools, never more than the list has
    assert f"всего в списке {listed}" in signs["layout"]["title"]["text"]


def test_map_axes_fit_the_schools(world) -> None:
    c = _client(world)
    dash = c.get(reverse("identification:region", args=[world.region.pk])).context["dash"]
    layout = dash["figures"]["map"]["layout"]
    lons = [x for t in dash["figures"]["map"]["data"] for x in t["x"]]
    lats = [y for t in dash["figures"]["map"]["data"] for y in t["y"]]
    lo, hi = layout["xaxis"]["range"]
    assert lo <= min(lons)
    assert hi >= max(lons)
    assert hi - lo <= 1.2 * (max(lons) - min(lons)) + 0.1
    lo, hi = layout["yaxis"]["range"]
    assert lo <= min(lats)
    assert hi >= max(lats)


@pytest.mark.parametrize("role", ["municipality", "school", "observer"])
def test_counts_agree_within_a_scope(marked, role) -> None:
    """Scoped users: the municipality dashboard (or none) and the list page count the same schools."""
    world = marked
    c = _client(world, role)
    for code in LISTS:
        page = c.get(reverse("identification:list", args=[code]) + f"?run={world.run.pk}")
        assert page.status_code == 200
        listed = page.context["page"].paginator.count
        export = c.get(reverse("identification:export", args=[code]) + f"?run={world.run.pk}")
        assert len(_xlsx_rows(export.content, 4)) == listed
    mun = c.get(reverse("identification:municipality", args=[world.mun.pk]) + f"?run={world.run.pk}")
    if mun.status_code == 200:
        cards = {x["code"]: x["n"] for x in mun.context["dash"]["counts"]}
        for code in LISTS:
            page = c.get(
                reverse("identification:list", args=[code])
                + f"?run={world.run.pk}&municipality={world.mun.pk}"
            )
            assert cards[code] == page.context["page"].paginator.count, code


@pytest.mark.django_db(transaction=False)
def test_demo_counts_agree_and_pages_are_filled(home) -> None:
    """The demo (smallest size): every list's count agrees between the dashboard and the list page, and
    the pages beyond the lists have content (teachers, courses, routes, roadmaps, an analysis)."""
    from shnor.web.demo import demo_region_load
    from shnor.web.diagnostics.models import Course, DevelopmentRoute, Teacher
    from shnor.web.monitoring.models import EffectivenessAnalysis
    from shnor.web.registry.models import Region
    from shnor.web.support.models import Roadmap

    report = demo_region_load(seed=3, size="municipality")
    assert report.content["teachers"] > 0
    assert Teacher.objects.exists()
    assert Course.objects.count() >= 5
    assert DevelopmentRoute.objects.filter(enrolments__isnull=False).exists()
    assert report.content["roadmaps"] > 0
    assert Roadmap.objects.filter(level="school", activities__isnull=False).exists()
    assert EffectivenessAnalysis.objects.filter(status="done").exists()
    c = Client()
    from django.contrib.auth import get_user_model

    c.force_login(get_user_model().objects.get(username="demo_region"))
    region = Region.objects.first()
    run = report.runs[-1]
    cards = {
        x["code"]: x["n"]
        for x in c.get(reverse("identification:region", args=[region.pk]) + f"?run={run.pk}").context["dash"][
            "counts"
        ]
    }
    for code in LISTS:
        page = c.get(reverse("identification:list", args=[code]) + f"?run={run.pk}")
        assert page.context["page"].paginator.count == cards[code], code
