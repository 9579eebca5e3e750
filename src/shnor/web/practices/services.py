"""Writes of the bank: practices saved, submitted, moderated and deleted; files and links; adoptions.
Every write checks the actor's rights (``PermissionDenied``), the data (``ValidationError`` in Russian,
naming the field), is audited and keeps the search index in step (``search.index_put``)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.core.labels import SUBJECT_NAMES
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.practices import search
from shnor.web.practices.models import Adoption, Kind, Level, Practice, PracticeFile, Status
from shnor.web.registry.models import School
from shnor.web.uploads import DOCUMENTS, upload_check

#: Allowed file types and their signatures (as roadmap evidence: ``support.services.evidence``).
FILE_EXTENSIONS = DOCUMENTS
GRADES = range(1, 12)
EDITABLE = (Status.DRAFT, Status.REJECTED)


def file_max_bytes() -> int:
    """Largest file of a practice (``PRACTICES_FILE_MAX_MB`` setting, default 20 MB)."""
    return int(getattr(settings, "PRACTICES_FILE_MAX_MB", 20)) * 1024 * 1024


# --- rights -------------------------------------------------------------------------------------------


def can_author(user: User) -> bool:
    """Schools (for themselves) and region users (the institute) submit practices; superusers too."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    return scope.superuser or (
        (scope.acts_as(Role.SCHOOL) and scope.school_id is not None)
        or (scope.acts_as(Role.REGION) and scope.region_id is not None)
    )


def can_moderate(user: User, practice: Practice | None = None) -> bool:
    """Region analysts of the practice's region (any practice of their region when ``practice`` is None)."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser:
        return True
    if not (scope.acts_as(Role.REGION) and scope.region_id is not None):
        return False
    return practice is None or practice.region_id == scope.region_id


def is_author(user: User, practice: Practice) -> bool:
    """The author's side: the author school's own users (role school), the region's users for a practice
    of the region without a school, the user who created it."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser or (practice.created_by_id and practice.created_by_id == scope.user_id):
        return True
    if practice.author_school_id:
        return scope.acts_as(Role.SCHOOL) and practice.author_school_id == scope.school_id
    return scope.acts_as(Role.REGION) and practice.region_id == scope.region_id


def can_edit(user: User, practice: Practice) -> bool:
    """The author edits a draft or a rejected practice (a published one goes back through moderation)."""
    return practice.status in EDITABLE and is_author(user, practice)


def can_adopt(user: User) -> bool:
    """A school's director marks «внедряем практику» for the school."""
    scope = scope_of(user)
    return scope.sees_rows and scope.acts_as(Role.SCHOOL) and scope.school_id is not None


# --- practices ----------------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Checked fields of a practice; ValidationError names the field."""
    title = str(data.get("title") or "").strip()
    description = str(data.get("description") or "").strip()
    if not title:
        raise ValidationError("поле «Название»: не заполнено")
    if len(title) > 300:
        raise ValidationError(f"поле «Название»: {len(title)} знаков, допустимо не больше 300")
    if not description:
        raise ValidationError("поле «Описание»: не заполнено")
    kind = str(data.get("kind") or Kind.PRACTICE)
    if kind not in Kind.values:
        raise ValidationError(f"поле «Вид»: неизвестное значение «{kind}»")
    level = str(data.get("level") or Level.SCHOOL)
    if level not in Level.values:
        raise ValidationError(f"поле «Уровень»: неизвестное значение «{level}»")
    subject = str(data.get("subject") or "")
    if subject and subject not in SUBJECT_NAMES:
        raise ValidationError(f"поле «Предмет»: неизвестный код предмета «{subject}»")
    factors = [str(c) for c in data.get("risk_factors") or []]
    known = search.factor_titles()
    unknown = [c for c in factors if c not in known]
    if unknown:
        raise ValidationError(f"поле «Факторы риска»: неизвестные коды {', '.join(unknown)}")
    grades = []
    for g in data.get("grades") or []:
        try:
            n = int(g)
        except (TypeError, ValueError):
            raise ValidationError(f"поле «Классы»: «{g}» не номер класса") from None
        if n not in GRADES:
            raise ValidationError(f"поле «Классы»: {n} — классы от 1 до 11")
        grades.append(n)
    skills = [" ".join(str(s).split())[:200] for s in data.get("skills") or [] if str(s).strip()]
    return {
        "title": title,
        "description": description,
        "kind": kind,
        "level": level,
        "subject": subject,
        "risk_factors": sorted(set(factors), key=factors.index),
        "grades": sorted(set(grades)),
        "skills": list(dict.fromkeys(skills)),
        "organisation": str(data.get("organisation") or "").strip()[:300],
    }


def _index(practice: Practice) -> None:
    practice.search_text = search.search_text(practice)
    Practice.objects.filter(pk=practice.pk).update(search_text=practice.search_text)
    search.index_put(practice)


@transaction.atomic
def practice_save(*, actor: User, data: dict[str, Any], practice: Practice | None = None) -> Practice:
    """Create a draft (``practice`` None) or change an editable one. A school's practice is the school's
    own; a region user's is the region's (with the organisation named, the institute by default)."""
    fields = _clean(data)
    scope = scope_of(actor)
    if practice is None:
        if not can_author(actor):
            raise PermissionDenied("практики предлагают школы (свои) и региональные пользователи")
        practice = Practice(created_by=actor if getattr(actor, "pk", None) else None)
        if scope.acts_as(Role.SCHOOL):
            school = School.objects.select_related("municipality").get(pk=scope.school_id)
            practice.author_school = school
            practice.region_id = school.region_id or (
                school.municipality.region_id if school.municipality else None
            )
        else:
            practice.region_id = scope.region_id
            if not fields["organisation"]:
                fields["organisation"] = "Региональный институт развития образования"
        action = "практика создана"
    elif not can_edit(actor, practice):
        raise PermissionDenied("изменять можно только свой черновик или отклонённую практику")
    else:
        action = "практика изменена"
    before = {k: getattr(practice, k) for k in fields} if practice.pk else {}
    for k, v in fields.items():
        setattr(practice, k, v)
    practice.save()
    _index(practice)
    changes = {k: [before.get(k), v] for k, v in fields.items() if before.get(k) != v} if before else fields
    _audit(action, practice, changes)
    return practice


def _audit(action: str, practice: Practice, changes: dict | None = None) -> None:
    audit_record(
        action=action,
        object_type="practices.Practice",
        object_id=str(practice.pk),
        object_repr=practice.title,
        changes=changes or {},
    )


@transaction.atomic
def practice_submit(*, actor: User, practice: Practice) -> Practice:
    """Send a draft (or a rejected practice, corrected) to moderation."""
    if not can_edit(actor, practice):
        raise PermissionDenied("на модерацию отправляет автор черновика или отклонённой практики")
    practice.status = Status.MODERATION
    practice.save(update_fields=["status", "updated_at"])
    _audit("практика отправлена на модерацию", practice, {"status": Status.MODERATION})
    return practice


@transaction.atomic
def practice_moderate(*, actor: User, practice: Practice, publish: bool, comment: str = "") -> Practice:
    """The region's decision on a practice on moderation: publish it or reject it with a comment."""
    if not can_moderate(actor, practice):
        raise PermissionDenied("модерирует аналитик региона, к которому относится практика")
    if practice.status != Status.MODERATION:
        raise ValidationError(
            f"практика «{practice.title}» не на модерации (статус: {practice.get_status_display()})"
        )
    comment = comment.strip()
    if not publish and not comment:
        raise ValidationError("поле «Комментарий модератора»: при отклонении укажите, что исправить")
    now = timezone.now()
    practice.status = Status.PUBLISHED if publish else Status.REJECTED
    practice.moderator_comment = comment
    practice.moderated_by = actor if getattr(actor, "pk", None) else None
    practice.moderated_at = now
    if publish:
        practice.published_at = now
    practice.save()
    _index(practice)
    _audit(
        "практика опубликована" if publish else "практика отклонена",
        practice,
        {"status": practice.status, "comment": comment},
    )
    return practice


@transaction.atomic
def practice_delete(*, actor: User, practice: Practice) -> None:
    """The author deletes a draft or a rejected practice; the region's moderator any of the region's."""
    if not (can_edit(actor, practice) or can_moderate(actor, practice)):
        raise PermissionDenied("удалить можно свой черновик или отклонённую практику")
    if practice.adoptions.exists():
        raise ValidationError(f"практику «{practice.title}» внедряют школы: её нельзя удалить")
    pk = practice.pk
    for f in practice.files.all():
        if f.file:
            f.file.delete(save=False)
    _audit("практика удалена", practice)
    practice.delete()
    search.index_drop(pk)


# --- files and links ----------------------------------------------------------------------------------


def _check_upload(upload: Any) -> tuple[str, int]:
    return upload_check(upload, max_bytes=file_max_bytes(), allowed=FILE_EXTENSIONS)


@transaction.atomic
def file_add(
    *, actor: User, practice: Practice, upload: Any = None, url: str = "", title: str = ""
) -> PracticeFile:
    """Attach a file (type whitelist, signature, size limit) or an http(s) link to an editable practice."""
    if not can_edit(actor, practice):
        raise PermissionDenied("файлы добавляет автор черновика или отклонённой практики")
    if upload is None and not url.strip():
        raise ValidationError("приложите файл или укажите ссылку")
    who = actor if getattr(actor, "pk", None) else None
    if upload is not None:
        name, size = _check_upload(upload)
        item = PracticeFile(
            practice=practice,
            title=title.strip()[:300],
            original_name=name[:255],
            size=size,
            content_type=str(getattr(upload, "content_type", "") or "")[:120],
            uploaded_by=who,
        )
        item.file.save(re.sub(r"[^0-9A-Za-z._-]+", "_", name)[-100:] or "file", upload, save=False)
        item.save()
    else:
        link = url.strip()
        if not re.match(r"^https?://\S+$", link, re.IGNORECASE):
            raise ValidationError(f"ссылка «{link[:80]}»: должна начинаться с http:// или https://")
        if len(link) > 1000:
            raise ValidationError("ссылка длиннее 1000 знаков")
        item = PracticeFile.objects.create(
            practice=practice, title=title.strip()[:300], url=link, uploaded_by=who
        )
    _audit(
        "к практике добавлен файл" if upload is not None else "к практике добавлена ссылка",
        practice,
        {"file": item.original_name or item.url},
    )
    return item


@transaction.atomic
def file_delete(*, actor: User, item: PracticeFile) -> None:
    """Remove a file or link of an editable practice (and the file itself)."""
    practice = item.practice
    if not can_edit(actor, practice):
        raise PermissionDenied("файлы удаляет автор черновика или отклонённой практики")
    if item.file:
        item.file.delete(save=False)
    _audit("из практики удалён файл", practice, {"file": item.original_name or item.url})
    item.delete()


# --- adoption -----------------------------------------------------------------------------------------


@transaction.atomic
def adoption_mark(*, actor: User, practice: Practice, year: int, note: str = "") -> Adoption:
    """The actor's school marks «внедряем практику» from ``year`` (once per school; marking again
    changes the year and the note)."""
    if not can_adopt(actor):
        raise PermissionDenied("отметку «внедряем практику» ставит школа")
    if practice.status != Status.PUBLISHED:
        raise ValidationError("внедрять можно только опубликованную практику")
    this_year = timezone.localdate().year
    if not 2000 <= int(year) <= this_year + 1:
        raise ValidationError(f"поле «Год начала внедрения»: {year} — укажите год от 2000 до {this_year + 1}")
    school = School.objects.get(pk=scope_of(actor).school_id)
    adoption, created = Adoption.objects.update_or_create(
        practice=practice,
        school=school,
        defaults={
            "year": int(year),
            "note": note.strip(),
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    _audit(
        "школа внедряет практику" if created else "изменена отметка о внедрении",
        practice,
        {"school": school.school_id, "year": int(year), "note": adoption.note},
    )
    return adoption


@transaction.atomic
def adoption_remove(*, actor: User, adoption: Adoption) -> None:
    """The school withdraws its mark."""
    scope = scope_of(actor)
    if not (scope.superuser or (can_adopt(actor) and adoption.school_id == scope.school_id)):
        raise PermissionDenied("снять отметку о внедрении может только сама школа")
    _audit("отметка о внедрении снята", adoption.practice, {"school": adoption.school.school_id})
    adoption.delete()
