"""API of report requests (a django-ninja ``Router`` mounted at ``/api/submissions/``): the requests the user
sees with their counts, and one request's status board — scoped exactly like the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Path, Router, Schema

from shnor.web.apipages import PageRows, paged
from shnor.web.submissions import selectors as sel

router = Router(tags=["Запросы отчётов"])

ID = {"ge": 1, "le": 2**63 - 1}


class RequestOut(Schema):
    """A request with its counts."""

    id: int
    title: str
    kind: str
    kind_label: str
    requester: str
    deadline: dt.date
    year: int | None
    recipients: int
    accepted: int
    late: int


class PartOut(Schema):
    """One recipient's part on the board."""

    id: int
    recipient: str
    school_id: str | None
    status: str
    status_label: str
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    comment: str


class BoardOut(RequestOut):
    """A request with every visible part."""

    parts: list[PartOut]


def _request_out(req, board) -> dict:
    return {
        "id": req.pk,
        "title": req.title,
        "kind": req.kind,
        "kind_label": req.get_kind_display(),
        "requester": req.requester_name,
        "deadline": req.deadline,
        "year": req.year,
        "recipients": board["total"],
        "accepted": board["accepted"],
        "late": board["late"],
    }


@router.get("/requests", response=list[RequestOut], summary="Запросы отчётов")
@paged
def requests(request: HttpRequest) -> PageRows:
    """The requests with a part the user sees (latest deadline first), with the number of recipients,
    accepted and late parts, a page at a time (the counts of the page's requests only, in one query; the
    list was cut at 500 requests unsaid)."""
    today = timezone.localdate()

    def page_rows(reqs: list) -> list[dict]:
        counts = sel.board_counts(user=request.user, requests=reqs, today=today)
        return [_request_out(req, counts[req.pk]) for req in reqs]

    qs = sel.requests_visible_to(user=request.user).select_related("region", "municipality")
    return PageRows(qs.order_by("-deadline", "-id"), out_page=page_rows)


@router.get("/requests/{request_id}", response=BoardOut, summary="Состояние запроса по получателям")
def request_board(request: HttpRequest, request_id: int = Path(..., **ID)) -> dict:
    """Every visible recipient's part with status («late»: the deadline passed and not sent) and dates."""
    today = timezone.localdate()
    req = get_object_or_404(sel.requests_visible_to(user=request.user), pk=request_id)
    board = sel.board(user=request.user, request=req, today=today)
    return {
        **_request_out(req, board),
        "parts": [
            {
                "id": p.pk,
                "recipient": p.recipient_name,
                "school_id": p.school.school_id if p.school_id else None,
                "status": p.status_code(today),
                "status_label": p.status_label(today),
                "submitted_at": p.submitted_at,
                "reviewed_at": p.reviewed_at,
                "comment": p.comment,
            }
            for p in board["parts"]
        ],
    }
