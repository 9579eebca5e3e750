"""API of interviews (django-ninja ``Router``, mounted by ``web.api``): a school's interviews with their
findings and corrections, scoped exactly as the pages (the school must be visible)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.interviews import selectors as sel

router = Router(tags=["Собеседования"])

TEXT = {"max_length": 200, "pattern": r"^[^\x00]*$"}


class ParticipantOut(Schema):
    """A member of the school's management team at the interview."""

    name: str
    position: str


class FindingOut(Schema):
    """The finding on one risk factor."""

    code: str
    title: str
    level: str
    comment: str


class CorrectionOut(Schema):
    """An agreed change proposed as a correction of the school's roadmap."""

    id: int
    kind: str
    kind_label: str
    title: str
    activity_id: int | None
    period_text: str
    due_date: str | None
    executor: str
    reason: str
    status: str
    status_label: str


class InterviewOut(Schema):
    """One interview with the management team."""

    id: int
    school_id: str
    year: int
    held_on: str
    format: str
    interviewers: str
    participants: list[ParticipantOut]
    findings: list[FindingOut]
    summary: str
    corrections: list[CorrectionOut]


def _date(value) -> str | None:
    return f"{value:%d.%m.%Y}" if value else None


@router.get("/schools/{school_id}/interviews", response=list[InterviewOut], summary="Собеседования школы")
def school_interviews(request: HttpRequest, school_id: str = Path(..., **TEXT)) -> list[dict]:
    """The interviews of a visible school (404 for others), newest first."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    out = []
    for i in sel.interviews_visible(user=request.user).filter(school=school).prefetch_related("corrections"):
        out.append(
            {
                "id": i.pk,
                "school_id": school.school_id,
                "year": i.year,
                "held_on": _date(i.held_on),
                "format": i.get_format_display(),
                "interviewers": i.interviewers,
                "participants": [
                    {"name": str(p.get("name", "")), "position": str(p.get("position", ""))}
                    for p in i.participants
                ],
                "findings": [
                    {
                        "code": str(f.get("code", "")),
                        "title": str(f.get("title", "")),
                        "level": str(f.get("level", "")),
                        "comment": str(f.get("comment", "")),
                    }
                    for f in i.findings
                ],
                "summary": i.summary,
                "corrections": [
                    {
                        "id": c.pk,
                        "kind": c.kind,
                        "kind_label": c.get_kind_display(),
                        "title": c.title,
                        "activity_id": c.activity_id,
                        "period_text": c.period_text,
                        "due_date": _date(c.due_date),
                        "executor": c.executor,
                        "reason": c.reason,
                        "status": c.status,
                        "status_label": c.get_status_display(),
                    }
                    for c in i.corrections.all()
                ],
            }
        )
    return out
