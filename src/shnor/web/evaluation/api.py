"""API of external evaluation (django-ninja ``Router``, mounted by ``web.api``): a school's evaluations,
scoped exactly as the pages (the school must be visible; the experts' own forms are not exposed)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.evaluation import selectors as sel

router = Router(tags=["Внешняя оценка"])

TEXT = {"max_length": 200, "pattern": r"^[^\x00]*$"}


class SectionScoreOut(Schema):
    """A section's score: the sum of the experts' mean scores per criterion and its maximum."""

    code: str
    title: str
    score: float
    max_score: int
    percent: int


class EvaluationOut(Schema):
    """One evaluation of a school; the conclusion and scores once it is finished."""

    id: int
    school_id: str
    year: int
    form_code: str
    form_title: str
    criteria_version: str
    subject: str
    status: str
    status_label: str
    start_date: str | None
    due_date: str | None
    concluded_at: str | None
    conclusion: str
    recommendations: list[str]
    scores: list[SectionScoreOut]


def _date(value) -> str | None:
    return f"{value:%d.%m.%Y}" if value else None


@router.get("/schools/{school_id}/evaluations", response=list[EvaluationOut], summary="Внешние оценки школы")
def school_evaluations(request: HttpRequest, school_id: str = Path(..., **TEXT)) -> list[dict]:
    """The evaluations of a visible school (404 for others), newest first."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    rows = sel.evaluations_visible(user=request.user).filter(school=school).order_by("-created_at", "-id")
    out = []
    for ev in rows:
        done = ev.status == "done"
        out.append(
            {
                "id": ev.pk,
                "school_id": school.school_id,
                "year": ev.year,
                "form_code": ev.form_code,
                "form_title": ev.form_title,
                "criteria_version": ev.criteria_version,
                "subject": ev.subject,
                "status": ev.status,
                "status_label": ev.get_status_display(),
                "start_date": _date(ev.start_date),
                "due_date": _date(ev.due_date),
                "concluded_at": _date(ev.concluded_at),
                "conclusion": ev.conclusion if done else "",
                "recommendations": list(ev.recommendations) if done else [],
                "scores": [
                    {
                        "code": s.code,
                        "title": s.title,
                        "score": s.score,
                        "max_score": s.max_score,
                        "percent": s.percent,
                    }
                    for s in sel.evaluation_scores(ev)
                ]
                if done
                else [],
            }
        )
    return out
