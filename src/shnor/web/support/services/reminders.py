"""Reminders of due and overdue activities: in-app notices and e-mail digests."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from shnor.web.accounts.models import Profile, Role
from shnor.web.accounts.scope import User
from shnor.web.support.models import (
    Activity,
    Level,
    Notice,
    Roadmap,
    Status,
)


def _recipients(roadmap: Roadmap, kind: str) -> list[Any]:
    """Who is reminded about a roadmap's activity: the owners (school users and curators; the
    municipality's coordinators; the region's analysts); coordinators also hear of schools' overdue items."""
    profiles = Profile.objects.none()
    if roadmap.level == Level.SCHOOL:
        profiles = Profile.objects.filter(role=Role.SCHOOL, school=roadmap.school) | Profile.objects.filter(
            role=Role.CURATOR, curated_schools=roadmap.school
        )
        if kind == Notice.OVERDUE_KIND and roadmap.municipality_id:
            profiles = profiles | Profile.objects.filter(
                role=Role.MUNICIPALITY, municipality=roadmap.municipality
            )
    elif roadmap.level == Level.MUNICIPALITY:
        profiles = Profile.objects.filter(role=Role.MUNICIPALITY, municipality=roadmap.municipality)
    else:
        profiles = Profile.objects.filter(role=Role.REGION, region=roadmap.region)
    users = get_user_model().objects.filter(pk__in=profiles.values("user_id"), is_active=True).distinct()
    return list(users)


def support_reminders_send(*, today: dt.date, days_ahead: int = 7, email: bool = True) -> dict[str, int]:
    """Remind owners of activities due within ``days_ahead`` days or overdue: one in-app notice per
    user, activity, kind and day, and one e-mail digest per user (Django's mail framework).

    Idempotent for a day: a second call the same day creates no notices and sends no mail.
    Callable from the CLI or cron (``python -m shnor.web.support.remind``).
    """
    qs = (
        Activity.objects.exclude(status__in=[Status.DONE, Status.CANCELLED])
        .exclude(due_date=None)
        .filter(due_date__lte=today + dt.timedelta(days=days_ahead))
        .select_related("roadmap__school", "roadmap__municipality", "roadmap__region")
        .order_by("due_date", "id")
    )
    digest: dict[int, list[str]] = defaultdict(list)
    users: dict[int, Any] = {}
    created = 0
    for a in qs:
        kind = Notice.OVERDUE_KIND if a.due_date < today else Notice.DUE_SOON
        when = (
            f"просрочено с {a.due_date:%d.%m.%Y}"
            if kind == Notice.OVERDUE_KIND
            else f"срок до {a.due_date:%d.%m.%Y}"
        )
        text = f"{a.roadmap.owner_name}: «{a.number} {a.title[:200]}» — {when}"
        for user in _recipients(a.roadmap, kind):
            _, new = Notice.objects.get_or_create(
                user=user, activity=a, kind=kind, day=today, defaults={"text": text[:1000]}
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
            body = (
                "Здравствуйте!\n\nМероприятия дорожных карт, требующие внимания:\n\n"
                + "\n".join(f"• {line}" for line in lines)
                + "\n\nОтметьте выполнение и приложите подтверждения в разделе «Сопровождение».\n"
            )
            send_mail(
                subject=f"Сроки мероприятий дорожных карт на {today:%d.%m.%Y}",
                message=body,
                from_email=None,
                recipient_list=[user.email],
                fail_silently=False,
            )
            Notice.objects.filter(user=user, day=today, emailed=False).update(emailed=True)
            sent += 1
    return {"activities": qs.count(), "notices": created, "emails": sent}


def notice_mark_read(*, actor: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notices read (all when ``notice_ids`` is None)."""
    qs = Notice.objects.filter(user=actor, read_at=None)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())
