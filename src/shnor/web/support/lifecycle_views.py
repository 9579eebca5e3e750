"""Pages of a roadmap's life cycle: the transitions (POST), the changes since approval and the DOCX draft
of the approving order. Thin: the roadmap is fetched through ``Roadmap.objects.visible_to`` (404 outside the
user's scope), rights and checks live in ``services.lifecycle``."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shnor.core.reports.roadmap_order import DOCX_MIME, RoadmapOrder, order_filename, roadmap_order_docx
from shnor.web import params
from shnor.web.accounts.audit import audit_record
from shnor.web.support import selectors as sel
from shnor.web.support.models import Roadmap
from shnor.web.support.services import lifecycle

#: action in the URL → the message shown on success
_DONE = {
    "submit": "Дорожная карта отправлена на согласование",
    "approve": "Дорожная карта утверждена",
    "return": "Дорожная карта возвращена на доработку",
    "start": "Выполнение дорожной карты начато",
    "complete": "Дорожная карта завершена",
}


def _roadmap(request: HttpRequest, pk: int) -> Roadmap:
    qs = Roadmap.objects.visible_to(request.user).select_related("region", "municipality", "school")
    return get_object_or_404(qs, pk=pk)


def _run(request: HttpRequest, roadmap: Roadmap, action: str) -> None:
    comment = request.POST.get("comment", "")
    user = request.user
    if action == "submit":
        lifecycle.roadmap_submit(actor=user, roadmap=roadmap, comment=comment)
    elif action == "approve":
        lifecycle.roadmap_approve(
            actor=user,
            roadmap=roadmap,
            order_number=params.text(request.POST, "order_number", label="номер приказа", max_length=64),
            order_date=params.date(request.POST, "order_date", label="дата приказа"),
            comment=comment,
        )
    elif action == "return":
        lifecycle.roadmap_return(actor=user, roadmap=roadmap, comment=comment)
    elif action == "start":
        lifecycle.roadmap_start(actor=user, roadmap=roadmap)
    else:
        lifecycle.roadmap_complete(actor=user, roadmap=roadmap, comment=comment)


@login_required
@require_POST
def roadmap_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the life cycle (submit, approve, return, start, complete), back to the roadmap."""
    if action not in _DONE:
        raise Http404("неизвестное действие с дорожной картой")
    roadmap = _roadmap(request, pk)
    try:
        _run(request, roadmap, action)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "Нет права на это действие с дорожной картой")
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _DONE[action])
    return redirect("support:roadmap", pk=roadmap.pk)


@login_required
@require_GET
def roadmap_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What was changed in the roadmap since it was approved."""
    roadmap = _roadmap(request, pk)
    return render(
        request,
        "support/roadmap_changes.html",
        {"roadmap": roadmap, "changes": lifecycle.roadmap_changes_since_approval(roadmap)},
    )


@login_required
@require_GET
def roadmap_order(request: HttpRequest, pk: int) -> HttpResponse:
    """The DOCX draft of the order approving the roadmap, with the roadmap as the appendix."""
    roadmap = _roadmap(request, pk)
    order = RoadmapOrder(
        authority=roadmap.order_authority,
        order_number=roadmap.approval_order_number or roadmap.order_number,
        order_date=roadmap.approval_order_date or roadmap.order_date,
        signatory="",
        document=sel.roadmap_document(roadmap=roadmap, today=timezone.localdate()),
    )
    content = roadmap_order_docx(order)
    audit_record(
        action="выгрузка",
        object_type="дорожная карта",
        object_id=str(roadmap.pk),
        object_repr=str(roadmap),
        changes={"format": "приказ об утверждении (docx)"},
    )
    response = HttpResponse(content, content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        f'attachment; filename="roadmap_order_{roadmap.pk}.docx"; '
        f"filename*=UTF-8''{quote(order_filename(order))}"
    )
    return response
