"""Writes for report requests: ask, save a draft, submit (the roadmap report generated from the recipient's
roadmap), accept or return with a comment, remind before and after the deadline. Every write is audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from shnor.core.reports.roadmap_export import roadmap_docx
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import Profile
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.registry.models import Municipality, School
from shnor.web.submissions.models import (
    DELIVERED,
    Kind,
    RecipientLevel,
    ReportRequest,
    Status,
    Submission,
    SubmissionEvent,
    SubmissionNotice,
)
from shnor.web.submissions.selectors import can_fill, can_manage, can_request
from shnor.web.uploads import MB, upload_check

MAX_FILE = 20 * MB


def _event(submission: Submission, action: str, actor: User, comment: str = "") -> None:
    SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        comment=comment,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _audit(action: str, obj: Any, changes: dict[str, Any], actor: User) -> None:
    audit_record(
        action=action,
        object_type="запрос отчёта" if isinstance(obj, ReportRequest) else "часть отчёта",
        object_id=str(obj.pk),
        object_repr=str(obj),
        changes=changes,
        user=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def request_create(
    *,
    actor: User,
    kind: str,
    title: str,
    deadline: dt.date,
    instruction: str = "",
    year: int | None = None,
    remind_days: int = 3,
    schools: Iterable[School] = (),
    municipalities: Iterable[Municipality] = (),
) -> ReportRequest:
    """A request to visible schools (or, from the region, to visible municipalities), one part each.

    A municipality coordinator asks only schools of the municipality; the region asks anyone in it.
    """
    scope = scope_of(actor)
    if not can_request(user=actor):
        raise PermissionDenied("Запрашивать отчёты могут регион и муниципалитет.")
    if kind not in Kind.values:
        raise ValidationError("неизвестный вид отчёта")
    if kind == Kind.ROADMAP and not year:
        raise ValidationError("для отчёта о выполнении дорожной карты укажите год дорожной карты")
    schools, municipalities = list(schools), list(municipalities)
    if bool(schools) == bool(municipalities):
        raise ValidationError("выберите получателей: школы или муниципалитеты")
    visible_schools = set(School.objects.visible_to(actor).values_list("pk", flat=True))
    if any(s.pk not in visible_schools for s in schools):
        raise PermissionDenied("Среди выбранных школ есть школы вне вашей области видимости.")
    own_mun = scope.municipality_id if scope.role == Role.MUNICIPALITY else None
    if own_mun is not None and (municipalities or any(s.municipality_id != own_mun for s in schools)):
        raise PermissionDenied("Муниципалитет запрашивает отчёты только у своих школ.")
    visible_muns = set(Municipality.objects.visible_to(actor).values_list("pk", flat=True))
    if any(m.pk not in visible_muns for m in municipalities):
        raise PermissionDenied("Среди выбранных муниципалитетов есть недоступные вам.")
    region_id = scope.region_id
    if region_id is None:
        first = schools[0] if schools else municipalities[0]
        region_id = first.region_id
    req = ReportRequest.objects.create(
        region_id=region_id,
        municipality_id=own_mun,
        kind=kind,
        recipient_level=RecipientLevel.SCHOOL if schools else RecipientLevel.MUNICIPALITY,
        title=title.strip(),
        instruction=instruction.strip(),
        deadline=deadline,
        year=year,
        remind_days=remind_days,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    parts = [Submission(request=req, school=s, municipality_id=s.municipality_id) for s in schools]
    parts += [Submission(request=req, municipality=m) for m in municipalities]
    Submission.objects.bulk_create(parts)
    _audit(
        "запрос отчёта",
        req,
        {
            "kind": kind,
            "deadline": deadline.isoformat(),
            "recipients": [s.school_id for s in schools] or [m.code for m in municipalities],
        },
        actor,
    )
    return req


def _fill_check(actor: User, submission: Submission) -> None:
    if not can_fill(user=actor, submission=submission):
        raise PermissionDenied("Заполнять эту часть может только получатель запроса.")
    if submission.status in DELIVERED:
        raise ValidationError("часть уже отправлена; изменить её можно, когда её вернут на доработку")


@transaction.atomic
def submission_save(*, actor: User, submission: Submission, text: str = "", upload: Any = None) -> Submission:
    """Save the recipient's draft: the text and (optionally) a file, checked before anything is stored."""
    _fill_check(actor, submission)
    if upload is not None:
        name, _ = upload_check(upload, max_bytes=MAX_FILE)
        if submission.file:
            submission.file.delete(save=False)
        submission.file.save(name, upload, save=False)
        submission.file_name = name
    submission.text = text.strip()
    if submission.status == Status.NEW:
        submission.status = Status.DRAFT
    submission.save()
    _event(submission, SubmissionEvent.SAVED, actor)
    _audit("черновик части отчёта", submission, {"file": submission.file_name}, actor)
    return submission


def _roadmap_report(submission: Submission, today: dt.date) -> None:
    """Generate the execution report of the recipient's roadmap for the request's year (DOCX + figures)."""
    from shnor.web.support.models import Level, Roadmap
    from shnor.web.support.selectors import roadmap_document, roadmap_progress

    year = submission.request.year
    qs = Roadmap.objects.filter(year=year)
    if submission.school_id:
        roadmap = qs.filter(level=Level.SCHOOL, school_id=submission.school_id).first()
    else:
        roadmap = qs.filter(level=Level.MUNICIPALITY, municipality_id=submission.municipality_id).first()
    if roadmap is None:
        raise ValidationError(
            f"у «{submission.recipient_name}» нет дорожной карты на {year} год: создайте её в разделе "
            "«Сопровождение», затем отправьте отчёт"
        )
    doc = roadmap_document(roadmap=roadmap, with_status=True, today=today)
    content = roadmap_docx(doc)
    if submission.report:
        submission.report.delete(save=False)
    submission.report.save(f"roadmap_{roadmap.pk}_{today:%Y%m%d}.docx", ContentFile(content), save=False)
    progress = roadmap_progress(roadmap=roadmap, today=today)
    rows = [
        {"section": section, "number": r.number, "title": r.title, "period": r.period, "status": r.status}
        for section, section_rows in doc.sections
        for r in section_rows
    ]
    submission.summary = {
        "roadmap_id": roadmap.pk,
        "title": doc.title,
        "counts": {
            k: progress[k] for k in ("total", "done", "in_progress", "planned", "overdue", "cancelled")
        },
        "percent": progress["percent"],
        "rows": rows,
    }


@transaction.atomic
def submission_submit(
    *, actor: User, submission: Submission, today: dt.date, text: str | None = None
) -> Submission:
    """Send the part to the requester: the roadmap report is generated now; a note needs text, a file
    request a file."""
    _fill_check(actor, submission)
    if text is not None:
        submission.text = text.strip()
    kind = submission.request.kind
    if kind == Kind.ROADMAP:
        _roadmap_report(submission, today)
    elif kind == Kind.NOTE and not submission.text:
        raise ValidationError("аналитическая справка пустая: напишите текст справки")
    elif kind == Kind.FILE and not submission.file:
        raise ValidationError("файл не приложен: приложите файл и сохраните черновик")
    submission.status = Status.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.save()
    _event(submission, SubmissionEvent.SUBMITTED, actor)
    _audit("отправка части отчёта", submission, {"kind": kind}, actor)
    return submission


@transaction.atomic
def submission_review(*, actor: User, submission: Submission, accept: bool, comment: str = "") -> Submission:
    """Accept a submitted part, or return it with a comment (the recipient then resubmits)."""
    if not can_manage(user=actor, request=submission.request):
        raise PermissionDenied("Рассматривать отчёты может тот, кто их запросил.")
    if submission.status != Status.SUBMITTED:
        raise ValidationError("рассмотреть можно только отправленную часть")
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError("напишите, что исправить: без замечания вернуть нельзя")
    submission.status = Status.ACCEPTED if accept else Status.RETURNED
    submission.comment = "" if accept else comment
    submission.reviewed_at = timezone.now()
    submission.save()
    _event(submission, SubmissionEvent.ACCEPTED if accept else SubmissionEvent.RETURNED, actor, comment)
    _audit("принят" if accept else "возвращён на доработку", submission, {"comment": comment}, actor)
    return submission


# ---------------------------------------------------------------------------------------------
# reminders


def recipient_users(submission: Submission) -> list[Any]:
    """Who fills a part in: the school's users (role «школа») and its curators; a municipality's
    coordinators."""
    if submission.school_id:
        profiles = Profile.objects.filter(
            role=Role.SCHOOL, school_id=submission.school_id
        ) | Profile.objects.filter(role=Role.CURATOR, curated_schools=submission.school_id)
    else:
        profiles = Profile.objects.filter(role=Role.MUNICIPALITY, municipality_id=submission.municipality_id)
    return list(
        get_user_model()
        .objects.filter(pk__in=profiles.values("user_id"), is_active=True)
        .distinct()
        .order_by("pk")
    )


def reminders_send(*, today: dt.date, email: bool = True) -> dict[str, int]:
    """Remind recipients of parts not yet delivered: once ``remind_days`` before the deadline (stage
    «before») and once after it (stage «after»), per user and part — an in-app notice and one e-mail digest
    per user. Idempotent: a second call creates no notices and sends no mail."""
    qs = (
        Submission.objects.exclude(status__in=DELIVERED)
        .select_related("request", "school", "municipality")
        .order_by("request__deadline", "id")
    )
    digest: dict[int, list[str]] = defaultdict(list)
    users: dict[int, Any] = {}
    created = considered = 0
    for sub in qs:
        deadline = sub.request.deadline
        if today > deadline:
            stage = SubmissionNotice.AFTER
            when = f"срок прошёл {deadline:%d.%m.%Y}"
        elif (deadline - today).days <= sub.request.remind_days:
            stage = SubmissionNotice.BEFORE
            when = f"срок до {deadline:%d.%m.%Y}"
        else:
            continue
        considered += 1
        text = (
            f"{sub.request.requester_name} запрашивает «{sub.request.title[:300]}» "
            f"у «{sub.recipient_name}»: {when}"
        )
        for user in recipient_users(sub):
            _, new = SubmissionNotice.objects.get_or_create(
                user=user, submission=sub, stage=stage, defaults={"text": text[:1000]}
            )
            if new:
                created += 1
                digest[user.pk].append(text)
                users[user.pk] = user
    sent = 0
    if email:
        for pk, lines in digest.items():
            user = users[pk]
            if not user.email:
                continue
            send_mail(
                subject=f"Запросы отчётов: сроки на {today:%d.%m.%Y}",
                message=(
                    "Здравствуйте!\n\nОтчёты, которые ждут от вас:\n\n"
                    + "\n".join(f"• {line}" for line in lines)
                    + "\n\nЗаполните и отправьте их в разделе «Запросы отчётов».\n"
                ),
                from_email=None,
                recipient_list=[user.email],
                fail_silently=False,
            )
            SubmissionNotice.objects.filter(user=user, emailed=False).update(emailed=True)
            sent += 1
    if created:
        audit_record(action="напоминания о запросах отчётов", changes={"notices": created, "emails": sent})
    return {"parts": considered, "notices": created, "emails": sent}


def notices_mark_read(*, actor: User) -> int:
    """Mark the actor's reminders read."""
    return SubmissionNotice.objects.filter(user=actor, read_at=None).update(read_at=timezone.now())
