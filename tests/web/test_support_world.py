"""Support data on the test region (a builder): roadmaps at three levels, evidence, partners, a survey."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from shnor.web.support import services
from shnor.web.support.models import Roadmap
from tests.web.world import World

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class SupportWorld:
    """Roadmaps of every level (the foreign ones included) and objects hanging off them."""

    region_map: Roadmap
    other_region_map: Roadmap
    mun_maps: dict[str, Roadmap]
    school_maps: dict[str, Roadmap]


def build_support(world: World) -> SupportWorld:
    """Create everything as a superuser (scoping is then probed per role)."""
    root = get_user_model().objects.create_superuser("root_support", password="x")
    region_map = services.roadmap_create(actor=root, level="region", year=2024, region=world.region)
    other_region_map = services.roadmap_create(
        actor=root, level="region", year=2024, region=world.other_region
    )
    mun_maps = {
        name: services.roadmap_create(
            actor=root, level="municipality", year=2024, municipality=getattr(world, name)
        )
        for name in ("mun", "mun2", "other_mun")
    }
    school_maps = {
        s.school_id: services.roadmap_create(actor=root, level="school", year=2024, school=s, run=world.run)
        for s in (world.school, world.neighbour, world.far, world.foreign)
    }
    for mun in (world.mun, world.mun2, world.other_mun):
        services.partner_proposals_create(actor=root, municipality=mun, run=world.run)
    for sid, rm in school_maps.items():
        a = rm.activities.order_by("position").first()
        services.evidence_add(
            actor=root, activity=a, upload=SimpleUploadedFile(f"{sid}.pdf", PDF, "application/pdf")
        )
        survey = services.risk_survey_open(actor=root, school=rm.school, year=2024)
        services.survey_response_add(
            actor=root, survey=survey, group="director", answers={"D01": 4, "D02": 4}
        )
        services.antirisk_programme_create(actor=root, survey=survey, factor="equipment")
    return SupportWorld(region_map, other_region_map, mun_maps, school_maps)
