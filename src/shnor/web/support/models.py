"""Support work: roadmaps (region / municipality / school) and their activities, evidence, comments,
in-app notices, partner (leader) schools, mentors, risk-profile surveys and anti-risk programmes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.registry.models import Municipality, Region, School
from shnor.web.scoping import ScopedQuerySet


def evidence_storage() -> FileSystemStorage:
    """Evidence files live in SHNOR_HOME/support_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "support_files"), base_url=None)


class Level(models.TextChoices):
    """Which authority a roadmap belongs to."""

    REGION = "region", "Региональная"
    MUNICIPALITY = "municipality", "Муниципальная"
    SCHOOL = "school", "Школьная"


class RoadmapStatus(models.TextChoices):
    """Where a roadmap is in its life cycle: drafted, submitted, approved by the level above (or returned),
    carried out, completed."""

    DRAFT = "draft", "Черновик"
    SUBMITTED = "submitted", "На согласовании"
    RETURNED = "returned", "Возвращена на доработку"
    APPROVED = "approved", "Утверждена"
    IN_PROGRESS = "in_progress", "Выполняется"
    COMPLETED = "completed", "Завершена"


class Roadmap(models.Model):
    """A roadmap (дорожная карта) of a region, municipality or school for a year, with its order header."""

    level = models.CharField("уровень", max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="roadmaps", verbose_name="регион"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roadmaps",
        verbose_name="муниципалитет",
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="roadmaps", verbose_name="школа"
    )
    year = models.PositiveSmallIntegerField("год")
    title = models.CharField("название", max_length=500)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="реализует дорожную карту",
    )
    templates = models.JSONField("шаблоны", default=list, blank=True)
    track = models.JSONField("варианты сопровождения", default=list, blank=True)
    order_authority = models.CharField("орган, издавший приказ (род. п.)", max_length=300, blank=True)
    order_number = models.CharField("номер приказа", max_length=64, blank=True)
    order_date = models.DateField("дата приказа", null=True, blank=True)
    appendix = models.CharField("номер приложения", max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        "статус", max_length=16, choices=RoadmapStatus.choices, default=RoadmapStatus.DRAFT
    )
    approved_at = models.DateTimeField("утверждена", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="утвердил",
    )
    #: the header and the activities as approved (``services.lifecycle.roadmap_snapshot``)
    approved_snapshot = models.JSONField("утверждённая редакция", null=True, blank=True)
    approval_order_number = models.CharField("номер приказа об утверждении", max_length=64, blank=True)
    approval_order_date = models.DateField("дата приказа об утверждении", null=True, blank=True)

    #: visible through the unit of its level
    scope_field = (
        (models.Q(level=Level.SCHOOL), "school"),
        (models.Q(level=Level.MUNICIPALITY), "municipality"),
        (models.Q(level=Level.REGION), "region"),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "дорожная карта"
        verbose_name_plural = "дорожные карты"
        ordering = ["-year", "level", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "region", "year"],
                condition=models.Q(level="region"),
                name="roadmap_region_year",
            ),
            models.UniqueConstraint(
                fields=["level", "municipality", "year"],
                condition=models.Q(level="municipality"),
                name="roadmap_mun_year",
            ),
            models.UniqueConstraint(
                fields=["level", "school", "year"],
                condition=models.Q(level="school"),
                name="roadmap_school_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} дорожная карта {self.year}: {self.owner_name}"

    @property
    def owner_name(self) -> str:
        """Whose roadmap it is (school, municipality or region name)."""
        owner = self.school or self.municipality or self.region
        return (owner.name or str(owner)) if owner else ""


class RoadmapEvent(models.Model):
    """One step of a roadmap's life cycle: who moved it from which status to which, with a comment."""

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="events", verbose_name="дорожная карта"
    )
    from_status = models.CharField("из статуса", max_length=16, choices=RoadmapStatus.choices)
    to_status = models.CharField("в статус", max_length=16, choices=RoadmapStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField("комментарий", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "roadmap"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "шаг согласования дорожной карты"
        verbose_name_plural = "шаги согласования дорожных карт"
        ordering = ["roadmap", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Status(models.TextChoices):
    """Stored status of an activity; «overdue» is derived (due date passed and not done)."""

    PLANNED = "planned", "Запланировано"
    IN_PROGRESS = "in_progress", "Выполняется"
    DONE = "done", "Выполнено"
    CANCELLED = "cancelled", "Отменено"


OVERDUE = "overdue"
OVERDUE_LABEL = "Просрочено"


class Activity(models.Model):
    """One activity (мероприятие) of a roadmap: the columns of the official table plus status."""

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="activities", verbose_name="дорожная карта"
    )
    position = models.PositiveIntegerField("порядок", default=0)
    number = models.CharField("№", max_length=16, blank=True)
    section = models.CharField("раздел", max_length=500, blank=True)
    title = models.TextField("наименование мероприятия")
    period_text = models.CharField("сроки", max_length=200, blank=True)
    start_date = models.DateField("начало", null=True, blank=True)
    due_date = models.DateField("срок исполнения", null=True, blank=True)
    executor = models.CharField("ответственный исполнитель", max_length=500, blank=True)
    co_executors = models.CharField("соисполнители", max_length=500, blank=True)
    expected_result = models.TextField("ожидаемый результат", blank=True)
    target_group = models.CharField("целевая группа", max_length=300, blank=True)
    output_document = models.CharField("выходной документ", max_length=500, blank=True)
    status = models.CharField("статус", max_length=16, choices=Status.choices, default=Status.PLANNED)
    done_at = models.DateTimeField("выполнено", null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="implementations",
        verbose_name="реализует мероприятие",
    )
    template_ref = models.CharField("мероприятие шаблона", max_length=120, blank=True)
    track = models.CharField("вариант сопровождения", max_length=16, blank=True)
    note = models.CharField("примечание", max_length=500, blank=True)

    scope_field = "roadmap"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "мероприятие"
        verbose_name_plural = "мероприятия"
        ordering = ["roadmap", "position", "id"]
        indexes = [models.Index(fields=["due_date", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title[:80]}".strip()

    def state(self, today: dt.date) -> str:
        """planned / in_progress / done / cancelled, or overdue when the due date has passed."""
        if self.status in (Status.DONE, Status.CANCELLED):
            return self.status
        if self.due_date is not None and self.due_date < today:
            return OVERDUE
        return self.status

    def state_label(self, today: dt.date) -> str:
        """The Russian label of ``state``."""
        s = self.state(today)
        return OVERDUE_LABEL if s == OVERDUE else Status(s).label


class ActivityComment(models.Model):
    """A comment on an activity (coordinator's remark, school's report)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField("комментарий")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "комментарий к мероприятию"
        verbose_name_plural = "комментарии к мероприятиям"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Evidence(models.Model):
    """Evidence of an activity's execution: an uploaded file (validated) or a link."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField("описание", max_length=300, blank=True)
    file = models.FileField(
        "файл", storage=evidence_storage, upload_to="evidence/%Y/%m", max_length=300, blank=True
    )
    original_name = models.CharField("имя файла", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("размер, байт", default=0)
    content_type = models.CharField("тип", max_length=120, blank=True)
    url = models.URLField("ссылка", max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_field = "activity"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "подтверждение выполнения"
        verbose_name_plural = "подтверждения выполнения"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title or self.original_name or self.url


class Notice(models.Model):
    """An in-app notice to a user (deadline soon, overdue); one per user, activity, kind and day."""

    DUE_SOON, OVERDUE_KIND = "due_soon", "overdue"
    KINDS = [(DUE_SOON, "Срок приближается"), (OVERDUE_KIND, "Срок прошёл")]
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_notices"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="notices", null=True, blank=True
    )
    kind = models.CharField(max_length=16, choices=KINDS)
    day = models.DateField("дата")
    text = models.CharField("текст", max_length=1000)
    emailed = models.BooleanField("отправлено письмо", default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "уведомление"
        verbose_name_plural = "уведомления"
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "activity", "kind", "day"], name="notice_once_a_day")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class PartnerAssignment(models.Model):
    """A leader school (школа-лидер) paired with a supported school for a year: proposed, then confirmed."""

    PROPOSED, CONFIRMED, REJECTED = "proposed", "confirmed", "rejected"
    STATUSES = [(PROPOSED, "Предложено"), (CONFIRMED, "Подтверждено"), (REJECTED, "Отклонено")]
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="partner_assignments", verbose_name="школа"
    )
    leader = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_assignments",
        verbose_name="школа-лидер",
    )
    year = models.PositiveSmallIntegerField("год")
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=PROPOSED)
    method_status = models.CharField("итог подбора", max_length=32, blank=True)
    note = models.CharField("пояснение", max_length=500, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    context_difference = models.FloatField(null=True, blank=True)
    cost = models.FloatField(null=True, blank=True)
    proposed_leader = models.ForeignKey(
        School,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="предложенная школа-лидер",
    )
    evidence = models.JSONField("обоснование подбора", default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "закрепление школы-лидера"
        verbose_name_plural = "закрепления школ-лидеров"
        ordering = ["-year", "school__school_id"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="partner_school_year")]

    def __str__(self) -> str:
        return f"{self.school} ← {self.leader or '—'} ({self.year})"


class Mentor(models.Model):
    """A mentor (ментор, наставник) assigned to a school: a person, optionally with an account.

    Curators with accounts are assigned through ``Profile.curated_schools`` (their scope); a mentor
    record is for the people of leader schools and institutes who help without an account.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="mentors", verbose_name="школа")
    full_name = models.CharField("ФИО", max_length=300)
    organisation = models.CharField("организация, должность", max_length=500, blank=True)
    subject = models.CharField("направление / предмет", max_length=300, blank=True)
    year = models.PositiveSmallIntegerField("год")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ментор"
        verbose_name_plural = "менторы"
        ordering = ["-year", "full_name"]

    def __str__(self) -> str:
        return self.full_name


class RiskSurvey(models.Model):
    """A school's risk-profile survey for a year: four groups' responses, computed profile, chosen risks."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="risk_surveys", verbose_name="школа"
    )
    year = models.PositiveSmallIntegerField("год")
    questionnaire = models.CharField("анкета", max_length=64)
    profile = models.JSONField("рисковый профиль", default=dict, blank=True)
    chosen = models.JSONField("выбранные риски", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "анкетирование (рисковый профиль)"
        verbose_name_plural = "анкетирования (рисковые профили)"
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="risk_survey_school_year")]

    def __str__(self) -> str:
        return f"Рисковый профиль {self.school} {self.year}"


class SurveyResponse(models.Model):
    """One respondent's answers (director, a teacher, a pupil, a parent)."""

    GROUPS = [
        ("director", "Руководитель"),
        ("teachers", "Педагоги"),
        ("pupils", "Обучающиеся"),
        ("parents", "Родители"),
    ]
    survey = models.ForeignKey(RiskSurvey, on_delete=models.CASCADE, related_name="responses")
    group = models.CharField("группа", max_length=16, choices=GROUPS)
    answers = models.JSONField("ответы")
    source = models.CharField("источник", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ответ на анкету"
        verbose_name_plural = "ответы на анкеты"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_group_display()} № {self.pk}"


class AntiRiskProgramme(models.Model):
    """An anti-risk programme for a chosen risk factor of a school; its measures become roadmap activities."""

    survey = models.ForeignKey(RiskSurvey, on_delete=models.CASCADE, related_name="programmes")
    factor = models.CharField("фактор риска", max_length=32)
    title = models.CharField("название", max_length=500)
    goal = models.TextField("цель", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "антирисковая программа"
        verbose_name_plural = "антирисковые программы"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["survey", "factor"], name="antirisk_survey_factor")]

    def __str__(self) -> str:
        return self.title


class AntiRiskMeasure(models.Model):
    """A measure of an anti-risk programme; ``activity`` is its row in the school's roadmap once added."""

    programme = models.ForeignKey(AntiRiskProgramme, on_delete=models.CASCADE, related_name="measures")
    position = models.PositiveIntegerField(default=0)
    title = models.TextField("мера")
    period_text = models.CharField("сроки", max_length=200, blank=True)
    executor = models.CharField("исполнитель", max_length=500, blank=True)
    co_executors = models.CharField("соисполнители", max_length=500, blank=True)
    expected_result = models.TextField("ожидаемый результат", blank=True)
    output_document = models.CharField("выходной документ", max_length=500, blank=True)
    activity = models.OneToOneField(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="antirisk_measure"
    )

    class Meta:
        verbose_name = "мера антирисковой программы"
        verbose_name_plural = "меры антирисковых программ"
        ordering = ["programme", "position", "id"]

    def __str__(self) -> str:
        return self.title[:80]
