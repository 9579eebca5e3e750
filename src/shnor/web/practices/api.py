"""API of the bank of practices (django-ninja ``Router``, mounted by ``web.api``): the search and one
practice, scoped exactly as the pages (published practices for every user; others for their author's
scope and the region's moderators)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema

from shnor.core.labels import SUBJECT_NAMES
from shnor.web.apipages import PageRows, paged
from shnor.web.practices import selectors as sel
from shnor.web.practices.search import factor_titles

router = Router(tags=["Банк практик"])

TEXT = {"max_length": 200, "pattern": r"^[^\x00]*$"}
ID = {"ge": 1, "le": 2**63 - 1}


class FileOut(Schema):
    """A file (its download address on the site) or a link."""

    title: str
    name: str
    url: str


class PracticeOut(Schema):
    """One practice of the bank."""

    id: int
    title: str
    kind: str
    kind_label: str
    author: str
    author_school_id: str | None
    level: str
    status: str
    status_label: str
    subject: str
    subject_label: str
    grades: list[int]
    skills: list[str]
    risk_factors: list[str]
    risk_factor_labels: list[str]
    published_at: str | None
    rank: float | None = None


class PracticeFullOut(PracticeOut):
    """A practice with its description, files and the number of adopting schools."""

    description: str
    moderator_comment: str
    files: list[FileOut]
    adopting_schools: int


def _out(p) -> dict:
    titles = factor_titles()
    return {
        "id": p.pk,
        "title": p.title,
        "kind": p.kind,
        "kind_label": p.get_kind_display(),
        "author": p.author_label,
        "author_school_id": p.author_school.school_id if p.author_school_id else None,
        "level": p.level,
        "status": p.status,
        "status_label": p.get_status_display(),
        "subject": p.subject,
        "subject_label": SUBJECT_NAMES.get(p.subject, ""),
        "grades": [int(g) for g in p.grades or []],
        "skills": [str(s) for s in p.skills or []],
        "risk_factors": list(p.risk_factors or []),
        "risk_factor_labels": [titles.get(c, c) for c in p.risk_factors or []],
        "published_at": f"{p.published_at:%d.%m.%Y}" if p.published_at else None,
        "rank": getattr(p, "rank", None),
    }


@router.get("/search", response=list[PracticeOut], summary="Поиск в банке практик")
@paged
def practices_search(
    request: HttpRequest,
    q: str = Query("", **TEXT),
    kind: str = Query("", **TEXT),
    subject: str = Query("", **TEXT),
    grade: int | None = Query(None, ge=1, le=11),
    factor: str = Query("", **TEXT),
    tag: str = Query("", **TEXT),
) -> PageRows:
    """Published practices matching the filters, a page at a time; with ``q``, ranked by the Russian
    full-text search (word forms understood), best first across the pages, else newest first (the list was
    cut at 100 practices unsaid)."""
    filters = sel.Filters(q=q, kind=kind, subject=subject, grade=grade, factor=factor, tag=tag)
    return PageRows(sel.bank_results(user=request.user, filters=filters), _out)


@router.get("/{practice_id}", response=PracticeFullOut, summary="Практика из банка")
def practice_one(request: HttpRequest, practice_id: int = Path(..., **ID)) -> dict:
    """One practice the user sees (404 otherwise)."""
    p = get_object_or_404(sel.practices_visible(user=request.user), pk=practice_id)
    files = [
        {
            "title": it.title or it.original_name or it.url,
            "name": it.original_name,
            "url": f"/practices/files/{it.pk}/" if it.file else it.url,
        }
        for it in p.files.all()
    ]
    return {
        **_out(p),
        "description": p.description,
        "moderator_comment": p.moderator_comment,
        "files": files,
        "adopting_schools": p.adoptions.count(),
    }
