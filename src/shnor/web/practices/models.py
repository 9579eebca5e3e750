"""The bank of effective practices and methodological materials: a practice with its tags, files and links,
its moderation (черновик → на модерации → опубликовано / отклонено) and the schools that adopt it.

Visibility (``selectors.practices_visible``): a published practice is seen by every logged-in user; a draft,
one on moderation or a rejected one by its author's scope (the author school as the scope ladder sees it, or
the user who created it) and by the region's moderators. Adoptions are scoped through their school."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.registry.models import Region, School
from shnor.web.scoping import ScopedQuerySet


def practice_storage() -> FileSystemStorage:
    """Files of practices live in SHNOR_HOME/practice_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "practice_files"), base_url=None)


class Kind(models.TextChoices):
    """What the material is."""

    PRACTICE = "practice", "практика"
    MATERIAL = "material", "методический материал"
    VIDEO = "video", "видео"
    PROGRAMME = "programme", "программа"


class Level(models.TextChoices):
    """Where the practice was made."""

    SCHOOL = "school", "школьный"
    MUNICIPALITY = "municipality", "муниципальный"
    REGION = "region", "региональный"


class Status(models.TextChoices):
    """The moderation state."""

    DRAFT = "draft", "черновик"
    MODERATION = "moderation", "на модерации"
    PUBLISHED = "published", "опубликовано"
    REJECTED = "rejected", "отклонено"


class Practice(models.Model):
    """One practice or material of the bank."""

    title = models.CharField("название", max_length=300)
    description = models.TextField("описание")
    kind = models.CharField("вид", max_length=16, choices=Kind.choices, default=Kind.PRACTICE)
    author_school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="школа-автор"
    )
    organisation = models.CharField("организация-автор", max_length=300, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="регион"
    )
    #: codes of the risk-profile questionnaire's factors (``core.roadmaps.risk``)
    risk_factors = models.JSONField("факторы риска", default=list, blank=True)
    #: free tags: skills, КЭС and КТ elements as the deficit reports name them
    skills = models.JSONField("умения, КЭС, КТ", default=list, blank=True)
    subject = models.CharField("предмет", max_length=16, blank=True)
    grades = models.JSONField("классы", default=list, blank=True)
    level = models.CharField("уровень", max_length=16, choices=Level.choices, default=Level.SCHOOL)
    status = models.CharField("статус", max_length=16, choices=Status.choices, default=Status.DRAFT)
    moderator_comment = models.TextField("комментарий модератора", blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField("решение модератора", null=True, blank=True)
    published_at = models.DateTimeField("опубликовано", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("создано", auto_now_add=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)
    #: title, description and tag labels in one text: what the full-text search reads (``search.py``)
    search_text = models.TextField("текст для поиска", blank=True, editable=False)

    scope_field = "author_school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "практика"
        verbose_name_plural = "практики"
        ordering = ["-published_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "subject"])]

    def __str__(self) -> str:
        return self.title

    @property
    def author_label(self) -> str:
        """The school's name, else the organisation."""
        if self.author_school_id:
            return self.author_school.name or self.author_school.school_id
        return self.organisation or "—"


class PracticeFile(models.Model):
    """A file (validated like roadmap evidence) or a link of a practice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="files")
    title = models.CharField("название", max_length=300, blank=True)
    file = models.FileField("файл", storage=practice_storage, upload_to="practices/%Y/", blank=True)
    original_name = models.CharField("имя файла", max_length=255, blank=True)
    size = models.PositiveIntegerField("размер", default=0)
    content_type = models.CharField(max_length=120, blank=True)
    url = models.URLField("ссылка", max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "файл или ссылка практики"
        verbose_name_plural = "файлы и ссылки практик"
        ordering = ["practice", "uploaded_at", "id"]


class Adoption(models.Model):
    """A school marks «внедряем практику»: from which year, with a note."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="adoptions")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год начала внедрения")
    note = models.TextField("примечание", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "внедрение практики"
        verbose_name_plural = "внедрения практик"
        ordering = ["practice", "year", "school__school_id"]
        constraints = [models.UniqueConstraint(fields=["practice", "school"], name="adoption_once")]
