"""Russian labels of the events area that several places use (pages, API, the quarterly report)."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    """What kind of event it is (as the seeds name them)."""

    WEBINAR = "webinar", "вебинар"
    SEMINAR = "seminar", "семинар"
    LANDING = "landing", "методический десант"
    MASTER_CLASS = "master_class", "мастер-класс"
    PANORAMA = "panorama", "методическая панорама"
    FINAL_SEMINAR = "final_seminar", "итоговый семинар"
    OTHER = "other", "другое"


class OrganiserLevel(models.TextChoices):
    """Which level holds the event."""

    REGION = "region", "региональный уровень"
    MUNICIPALITY = "municipality", "муниципальный уровень"
    SCHOOL = "school", "школьный уровень"


class Source(models.TextChoices):
    """How an attendance mark came in."""

    MANUAL = "manual", "отмечено вручную"
    IMPORT = "import", "загружено из выгрузки участников"


#: How the target schools were chosen (the form's choices).
TARGET_CHOICES = [
    ("lists", "школы ШНОР и ШНСУ года"),
    ("low_results", "школы ШНОР года"),
    ("social_index", "школы ШНСУ года"),
    ("objectivity", "школы с признаками необъективности года"),
    ("municipality", "все школы муниципалитета"),
    ("picked", "выбранные школы"),
]

#: The computed indicator this area feeds (``indicators.toml``).
INDICATOR_CODE = "events_participation"
