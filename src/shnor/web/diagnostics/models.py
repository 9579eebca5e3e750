"""Teachers, their competence results, the course catalogue (ДПП), development routes (ИОМ) and enrolments."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q

from shnor.web.registry.models import Municipality, Region, School
from shnor.web.scoping import ScopedQuerySet


class Teacher(models.Model):
    """A teacher of a registered school: a code (pseudonymous where needed), optional name and account."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="teachers", verbose_name="школа"
    )
    code = models.CharField("код учителя", max_length=64)
    full_name = models.CharField("ФИО", max_length=300, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher_record",
        verbose_name="учётная запись",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "учитель"
        verbose_name_plural = "учителя"
        ordering = ["school__school_id", "code"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="teacher_school_code")]

    def __str__(self) -> str:
        return self.full_name or f"учитель {self.code}"


class CompetenceImport(models.Model):
    """One loaded file of competence results: what was read and what was rejected."""

    file_name = models.CharField("файл", max_length=255)
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    errors = models.JSONField("ошибки", default=list, blank=True)
    warnings = models.JSONField("предупреждения", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "загрузка результатов диагностики"
        verbose_name_plural = "загрузки результатов диагностики"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class CompetenceResult(models.Model):
    """A teacher's result in one competence area of one subject on one date (score out of max)."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="results")
    subject = models.CharField("предмет", max_length=200)
    area = models.CharField("область компетенций", max_length=300)
    score = models.FloatField("балл")
    max_score = models.FloatField("максимальный балл")
    assessed_on = models.DateField("дата диагностики")
    batch = models.ForeignKey(
        CompetenceImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="results"
    )

    class Meta:
        verbose_name = "результат диагностики компетенций"
        verbose_name_plural = "результаты диагностики компетенций"
        ordering = ["-assessed_on", "subject", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "subject", "area", "assessed_on"], name="competence_result_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher} {self.subject} / {self.area}: {self.score:g} из {self.max_score:g}"

    @property
    def share(self) -> float:
        """Score as a share of the maximum (0..1)."""
        return self.score / self.max_score if self.max_score else 0.0


class Course(models.Model):
    """A professional-development programme (ДПП) of the catalogue: title, provider, hours, areas covered."""

    title = models.CharField("название", max_length=500)
    provider = models.CharField("организация", max_length=300)
    hours = models.PositiveIntegerField("часов")
    areas = models.JSONField("области компетенций", default=list, blank=True)
    subject = models.CharField("предмет (пусто — любой)", max_length=200, blank=True)
    at_risk_pupils = models.BooleanField("о работе с детьми с риском учебной неуспешности", default=False)
    active = models.BooleanField("в каталоге", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "курс ДПП"
        verbose_name_plural = "каталог курсов ДПП"
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.provider}, {self.hours} ч)"


class DevelopmentRoute(models.Model):
    """A teacher's individual professional-development route (ИОМ) for a year."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="routes")
    year = models.PositiveSmallIntegerField("год")
    note = models.TextField("примечание", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "индивидуальный образовательный маршрут"
        verbose_name_plural = "индивидуальные образовательные маршруты"
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["teacher", "year"], name="route_teacher_year")]

    def __str__(self) -> str:
        return f"ИОМ {self.teacher} {self.year}"


class Enrolment(models.Model):
    """A course in a route: the deficit it answers, planned → enrolled → completed."""

    PLANNED, ENROLLED, COMPLETED, CANCELLED = "planned", "enrolled", "completed", "cancelled"
    STATUSES = [
        (PLANNED, "запланирован"),
        (ENROLLED, "записан"),
        (COMPLETED, "завершён"),
        (CANCELLED, "отменён"),
    ]
    route = models.ForeignKey(DevelopmentRoute, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    area = models.CharField("дефицит, на который направлен курс", max_length=300, blank=True)
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=PLANNED)
    completed_on = models.DateField("дата завершения", null=True, blank=True)

    class Meta:
        verbose_name = "запись на курс"
        verbose_name_plural = "записи на курсы"
        ordering = ["route", "id"]
        constraints = [models.UniqueConstraint(fields=["route", "course"], name="enrolment_route_course")]

    def __str__(self) -> str:
        return f"{self.route}: {self.course.title}"

    @property
    def on_request(self) -> bool:
        """True when the course answers a diagnosed deficit (trained on the teacher's request)."""
        return bool(self.area)


# --- people's development beyond teachers: heads, specialists, internships, mentoring, reserve, contests ---


def competition_storage() -> FileSystemStorage:
    """Competition programme files live in SHNOR_HOME/people_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "people_files"), base_url=None)


class Person(models.Model):
    """A head, deputy, municipal specialist or methodist: of a school, or (no school) of a municipality."""

    HEAD, DEPUTY, MUNICIPAL, METHODIST = "head", "deputy", "municipal", "methodist"
    POSITIONS = [
        (HEAD, "руководитель"),
        (DEPUTY, "заместитель руководителя"),
        (MUNICIPAL, "муниципальный специалист"),
        (METHODIST, "методист"),
    ]
    full_name = models.CharField("ФИО", max_length=300)
    position = models.CharField("должность", max_length=16, choices=POSITIONS)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="people", verbose_name="школа"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name="муниципалитет",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = ((Q(school__isnull=False), "school"), (Q(school__isnull=True), "municipality"))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "руководитель или специалист"
        verbose_name_plural = "руководители и специалисты"
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_position_display()}, {self.place})"

    @property
    def place(self) -> str:
        """Where the person works: the school's name, else the municipality's."""
        if self.school_id:
            return self.school.name or self.school.school_id
        return self.municipality.name if self.municipality_id else "—"


class PersonCourse(models.Model):
    """A catalogue course (ДПП) taken by a head or specialist (teachers take theirs through a route)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="courses")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="person_courses")
    year = models.PositiveSmallIntegerField("год")
    status = models.CharField("статус", max_length=16, choices=Enrolment.STATUSES, default=Enrolment.PLANNED)
    completed_on = models.DateField("дата завершения", null=True, blank=True)

    scope_field = "person"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "курс руководителя или специалиста"
        verbose_name_plural = "курсы руководителей и специалистов"
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "course", "year"], name="person_course_year")
        ]

    def __str__(self) -> str:
        return f"{self.person.full_name}: {self.course.title} ({self.year})"


class Internship(models.Model):
    """An internship or coaching practice of guests (heads, teachers' leaders) at a high-results school."""

    INTERNSHIP, COACHING = "internship", "coaching"
    KINDS = [(INTERNSHIP, "стажировка"), (COACHING, "коуч-практика")]
    PLANNED, ONGOING, DONE, CANCELLED = "planned", "ongoing", "done", "cancelled"
    STATUSES = [(PLANNED, "запланирована"), (ONGOING, "идёт"), (DONE, "проведена"), (CANCELLED, "отменена")]
    kind = models.CharField("вид", max_length=16, choices=KINDS, default=INTERNSHIP)
    host = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="hosted_internships", verbose_name="базовая школа"
    )
    guests = models.ManyToManyField(Person, related_name="internships", verbose_name="участники")
    topic = models.CharField("тема", max_length=500)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=PLANNED)
    outcome = models.TextField("итог", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = ("host", "guests__school", "guests__municipality")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "стажировка"
        verbose_name_plural = "стажировки и коуч-практики"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display().capitalize()} «{self.topic}» на базе {self.host}"


class MentoringPair(models.Model):
    """Teacher-to-teacher mentoring: a mentor (any school) and a mentee of a school on the ШНОР list."""

    ACTIVE, FINISHED, STOPPED = "active", "finished", "stopped"
    STATUSES = [(ACTIVE, "действует"), (FINISHED, "завершена"), (STOPPED, "прекращена")]
    mentor = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="mentoring_given", verbose_name="наставник"
    )
    mentee = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="mentoring_received", verbose_name="наставляемый"
    )
    subject = models.CharField("предмет", max_length=200)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание", null=True, blank=True)
    goals = models.TextField("цели")
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=ACTIVE)
    result = models.TextField("результат", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = ("mentee__school", "mentor__school")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "наставническая пара"
        verbose_name_plural = "наставнические пары"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.mentee} ({self.subject})"


class MentoringMeeting(models.Model):
    """One entry of a pair's meetings log."""

    pair = models.ForeignKey(MentoringPair, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("дата встречи")
    note = models.CharField("содержание", max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_field = "pair"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "встреча наставнической пары"
        verbose_name_plural = "встречи наставнических пар"
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on:%d.%m.%Y}: {self.note[:60]}"


class HeadReserve(models.Model):
    """A person included in the reserve of heads (кадровый резерв руководителей ОО)."""

    INCLUDED, APPOINTED, EXCLUDED = "included", "appointed", "excluded"
    STATUSES = [(INCLUDED, "в резерве"), (APPOINTED, "назначен"), (EXCLUDED, "исключён")]
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reserve")
    position_aimed = models.CharField("на должность", max_length=300)
    included_on = models.DateField("дата включения")
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=INCLUDED)
    note = models.CharField("примечание", max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_field = "person"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "запись кадрового резерва"
        verbose_name_plural = "кадровый резерв руководителей"
        ordering = ["-included_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person.full_name} → {self.position_aimed}"


class Competition(models.Model):
    """A competition of schools' development programmes, held by the region or by a municipality."""

    title = models.CharField("название", max_length=500)
    year = models.PositiveSmallIntegerField("год")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="competitions")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="competitions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = ((Q(municipality__isnull=True), "region"), (Q(municipality__isnull=False), "municipality"))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "конкурс программ развития"
        verbose_name_plural = "конкурсы программ развития"
        ordering = ["-year", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class CompetitionEntry(models.Model):
    """A school's programme entered in a competition, with its result."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="entries")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="competition_entries")
    programme = models.CharField("программа", max_length=500)
    file = models.FileField(
        "файл программы", storage=competition_storage, upload_to="programmes/%Y", max_length=300, blank=True
    )
    original_name = models.CharField("имя файла", max_length=255, blank=True)
    place = models.PositiveSmallIntegerField("место", null=True, blank=True)
    score = models.FloatField("балл", null=True, blank=True)
    decision = models.CharField("решение жюри", max_length=500, blank=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "заявка на конкурс"
        verbose_name_plural = "заявки на конкурс"
        ordering = ["place", "-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "school", "programme"], name="competition_entry")
        ]

    def __str__(self) -> str:
        return f"{self.school}: {self.programme}"
