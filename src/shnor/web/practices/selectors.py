"""Reads of the bank, scoped: which practices a user sees, the moderation queue, the filters, the links
from a school's deficits and from a risk factor, and the adopting schools with their results around the
adoption year (plain shares of «2», not an estimate of the practice's effect)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from shnor.core.evidence.deficits import DeficitsEvidence
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.selectors import school_results_by_year
from shnor.web.practices import search
from shnor.web.practices.models import Adoption, Practice, Status
from shnor.web.readcache import cached
from shnor.web.registry.models import School


def practices_visible(*, user: User) -> QuerySet:
    """Published practices for every logged-in user; the others for their author's scope (the author school
    seen by the scope ladder, the region's users for the region's own, the creator) and the region's
    moderators."""
    scope = scope_of(user)
    base = Practice.objects.select_related("author_school", "region")
    if not scope.sees_rows:
        return base.none()
    if scope.superuser:
        return base.all()
    wanted = Q(status=Status.PUBLISHED) | Q(created_by_id=scope.user_id)
    wanted |= Q(author_school__in=School.objects.visible_to(scope))
    if scope.region_wide and scope.region_id:
        wanted |= Q(region_id=scope.region_id, author_school__isnull=True)
    return base.filter(wanted)


def practices_published() -> QuerySet:
    """The published practices (every logged-in user sees them)."""
    return Practice.objects.filter(status=Status.PUBLISHED).select_related("author_school")


def moderation_queue(*, user: User) -> QuerySet:
    """Practices on moderation that the user moderates (the user's region; all for a superuser)."""
    scope = scope_of(user)
    qs = Practice.objects.filter(status=Status.MODERATION).select_related("author_school")
    if scope.superuser and scope.sees_rows:
        return qs.order_by("updated_at", "id")
    if scope.acts_as(Role.REGION) and scope.region_id and scope.sees_rows:
        return qs.filter(region_id=scope.region_id).order_by("updated_at", "id")
    return qs.none()


def practices_mine(*, user: User) -> QuerySet:
    """The user's side's practices not yet published (drafts, on moderation, rejected)."""
    scope = scope_of(user)
    qs = practices_visible(user=user).exclude(status=Status.PUBLISHED)
    if scope.acts_as(Role.SCHOOL):
        return qs.filter(Q(author_school_id=scope.school_id) | Q(created_by_id=scope.user_id))
    if scope.acts_as(Role.REGION):
        return qs.filter(
            Q(region_id=scope.region_id, author_school__isnull=True) | Q(created_by_id=scope.user_id)
        )
    return qs.filter(created_by_id=scope.user_id)


@dataclass(frozen=True)
class Filters:
    """The bank's filters (all optional)."""

    q: str = ""
    kind: str = ""
    subject: str = ""
    grade: int | None = None
    factor: str = ""
    tag: str = ""


#: The fields the bank's filters of lists (grade, risk factor, tag) read; kept apart from the database's
#: filters since SQLite has no containment lookup on JSON lists.
LIST_FIELDS = ("grades", "risk_factors", "skills")


def _lists_match(filters: Filters, grades: list | None, factors: list | None, skills: list | None) -> bool:
    tag = " ".join(filters.tag.lower().split())
    return (
        (filters.grade is None or filters.grade in (grades or []))
        and (not filters.factor or filters.factor in (factors or []))
        and (not tag or any(tag in " ".join(str(s).lower().split()) for s in skills or []))
    )


class BankResults:
    """The bank's search as a list read a stretch at a time: its length is the number of matches, a slice
    loads only its practices, each with ``rank`` and ``relevance`` (0..100 % of the best match's rank, the
    best of all the matches, not of the stretch; both None without a query). Without a query or filters
    of lists the order is the database's (``COUNT`` and ``LIMIT``); otherwise the matches' ids are read as
    light rows, filtered and ordered here, then a stretch's practices are read by id."""

    def __init__(self, qs: QuerySet, order: list[tuple[int, float | None]] | None = None) -> None:
        self.qs, self.order = qs, order
        self.best = max((r for _, r in order or [] if r is not None), default=0.0)

    def count(self) -> int:
        return int(self.qs.count()) if self.order is None else len(self.order)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Practice]:
        if self.order is None:
            rows = list(self.qs[index])
            for p in rows:
                p.rank = p.relevance = None
            return rows
        part = self.order[index]
        found = self.qs.in_bulk([pk for pk, _ in part])
        out = []
        for pk, rank in part:
            p = found[pk]
            p.rank = rank
            # the rank as a share of the best match's: BM25's scale means nothing to a reader
            p.relevance = None if rank is None else (round(100 * rank / self.best) if self.best > 0 else 100)
            out.append(p)
        return out


def bank_results(*, user: User, filters: Filters) -> BankResults:
    """Published practices matching the filters, all of them (no cut); with a query, ranked by the
    full-text search, best first, else newest first."""
    qs = practices_published()
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.subject:
        qs = qs.filter(subject=filters.subject)
    lists = filters.grade is not None or bool(filters.factor) or bool(filters.tag.strip())
    newest = qs.order_by("-published_at", "-id")
    if filters.q.strip():
        rows = search.ranked(qs, filters.q, LIST_FIELDS)
    elif lists:
        rows = [(pk, None, *rest) for pk, *rest in newest.values_list("pk", *LIST_FIELDS)]
    else:
        return BankResults(newest)
    return BankResults(qs, [(r[0], r[1]) for r in rows if _lists_match(filters, *r[2:])])


def bank_search(*, user: User, filters: Filters, limit: int = 200) -> list[Practice]:
    """The first ``limit`` of ``bank_results``: each practice with ``rank`` and ``relevance``, 0..100 % of
    the best match's rank (both None without a query)."""
    return bank_results(user=user, filters=filters)[:limit]


def practice_tags() -> list[str]:
    """The free tags (skills, КЭС, КТ) of the published practices, for the filter's suggestions."""
    tags: set[str] = set()
    for skills in practices_published().values_list("skills", flat=True):
        tags.update(str(s) for s in skills or [])
    return sorted(tags, key=str.lower)


# --- links from a school's deficits and from a risk factor --------------------------------------------


def school_deficits(*, school: School, run: MethodologyRun | None = None) -> DeficitsEvidence | None:
    """The school's deficits of ``run`` (else of the newest finished run that has them)."""
    qs = SchoolOutcome.objects.filter(school=school, method=SchoolOutcome.DEFICITS)
    if run is not None:
        qs = qs.filter(run=run)
    else:
        qs = qs.filter(run__status=MethodologyRun.DONE).order_by("-run__year", "-run__started_at", "-run_id")
    outcome = qs.only("data").first()
    return None if outcome is None else DeficitsEvidence.parse(outcome.data)


def practices_for_deficits(
    *, school: School, run: MethodologyRun | None = None, limit: int = 5
) -> list[dict] | None:
    """Published practices for the school's deficits: per subject, those of the subject (or of no subject)
    whose text shares words (in any form) with the deficits' skills, elements and recommendation topics.
    Each row: ``practice``, ``rank``, ``deficits`` (the labels it was found for). None when the school
    has no deficits evidence at all.

    Cached by the deficits' labels and the bank's state (number of practices, last change): the search
    is some 40 full-text queries for a school card, the same for every view of it until either changes."""
    ev = school_deficits(school=school, run=run)
    if ev is None:
        return None
    deficits = ev.school_level or ev.deficits
    by_subject: dict[str, list[str]] = {}
    for d in deficits:
        labels = [x for x in (d.element_label or d.element, d.topic) if x]
        by_subject.setdefault(str(d.subject or ""), []).extend(labels)
    bank = Practice.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    if not bank["n"]:  # an empty bank: nothing to search for
        return []
    raw = json.dumps([sorted(by_subject.items()), limit, bank["n"], str(bank["changed"])], ensure_ascii=False)
    key = "shnor:practices_for_deficits:" + hashlib.sha256(raw.encode()).hexdigest()
    return cached(key, lambda: _practices_found(by_subject=by_subject, limit=limit), PRACTICES_CACHE_SECONDS)


#: Seconds the practices found for a set of deficits stay cached (the bank's state is in the key).
PRACTICES_CACHE_SECONDS = 300


def _practices_found(*, by_subject: dict[str, list[str]], limit: int) -> list[dict]:
    found: dict[int, dict] = {}
    for subject, labels in sorted(by_subject.items()):
        qs = practices_published()
        if subject:
            qs = qs.filter(Q(subject=subject) | Q(subject=""))
        for label in dict.fromkeys(labels):
            for p in search.search(qs, label, any_word=True, limit=limit):
                row = found.setdefault(p.pk, {"practice": p, "rank": 0.0, "deficits": []})
                row["rank"] += float(p.rank)
                if label not in row["deficits"]:
                    row["deficits"].append(label)
    return sorted(found.values(), key=lambda r: (-r["rank"], r["practice"].pk))[:limit]


def practices_for_factor(*, factor: str, limit: int = 5) -> list[Practice]:
    """Published practices tagged with the risk factor (an anti-risk programme's factor), newest first."""
    rows = practices_published().order_by("-published_at", "-id")
    return [p for p in rows if factor in (p.risk_factors or [])][:limit]


# --- adoption -----------------------------------------------------------------------------------------


def _share(units: list) -> float | None:
    counted = [u for u in units if isinstance(u.counted, int | float) and u.counted]
    if counted:
        total = sum(float(u.counted) for u in counted)
        return sum(float(u.share) * float(u.counted) for u in counted) / total
    return sum(float(u.share) for u in units) / len(units) if units else None


def results_around(*, school: School, year: int, subject: str = "") -> dict:
    """Share of «2» in ВПР before the adoption year and after it (the year itself is in neither), from the
    stored low-results evidence; restricted to the practice's subject when it has one."""
    units = [
        u
        for u in school_results_by_year(school=school)["units"]
        if (u.procedure or "vpr") == "vpr" and (not subject or u.subject == subject)
    ]
    before = [u for u in units if u.year < year]
    after = [u for u in units if u.year > year]
    return {
        "before_years": sorted({u.year for u in before}),
        "before": _share(before),
        "after_years": sorted({u.year for u in after}),
        "after": _share(after),
    }


def adoptions_for(*, user: User, practice: Practice) -> dict:
    """The schools adopting the practice: all of them counted, those the user sees listed with the share
    of «2» before and after the adoption year."""
    visible = Adoption.objects.visible_to(user).filter(practice=practice).select_related("school")
    rows = [
        {"adoption": a, **results_around(school=a.school, year=a.year, subject=practice.subject)}
        for a in visible.order_by("year", "school__school_id")
    ]
    return {"total": Adoption.objects.filter(practice=practice).count(), "rows": rows}


def adoption_of(*, user: User, practice: Practice) -> Adoption | None:
    """The user's school's mark on the practice, if any."""
    scope = scope_of(user)
    if not scope.school_id:
        return None
    return Adoption.objects.filter(practice=practice, school_id=scope.school_id).first()
