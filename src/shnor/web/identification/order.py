"""The DOCX draft of the region's order approving a year's lists: one appendix per list, from the version
each list's decision page shows (the draft while there is one, else the approved version)."""

from __future__ import annotations

from shnor.core.reports.list_order import ListOrder, OrderAppendix, list_order_docx, list_order_filename
from shnor.web.accounts.scope import User
from shnor.web.accounts.selectors import regions_visible_to
from shnor.web.identification import decisions
from shnor.web.identification.models import ListVersion

#: The appendices' titles, in the order the seeds' orders give them.
APPENDIX_TITLES = {
    "low_results": "Список школ со стабильно низкими результатами обучения",
    "objectivity": "Список школ с признаками необъективных результатов ВПР",
    "social_risk": "Список школ, функционирующих в неблагоприятных социальных условиях",
}


def _shown(kind: str, year: int) -> ListVersion | None:
    return decisions.version_draft(kind=kind, year=year) or decisions.version_approved(kind=kind, year=year)


def order_docx(*, year: int, user: User) -> tuple[str, bytes]:
    """``(file name, DOCX bytes)`` of the order approving ``year``'s lists that have a version."""
    appendices = []
    order_number, order_date, signatory = "", None, ""
    for kind, title in APPENDIX_TITLES.items():
        version = _shown(kind, year)
        if version is None:
            continue
        rows = [
            (
                e.school.municipality.name if e.school.municipality else "",
                e.school.name or e.school.school_id,
                e.school.school_id,
                e.reason if e.source == "manual" or e.reason else decisions.source_label(e.source),
            )
            for e in version.entries.filter(included=True)
            .select_related("school__municipality")
            .order_by("school__municipality__name", "school__school_id")
        ]
        appendices.append(OrderAppendix(title=title, rows=rows))
        if version.status == ListVersion.APPROVED and not order_number:
            order_number, order_date, signatory = version.order_number, version.order_date, version.signatory
    region = regions_visible_to(user=user).first()
    order = ListOrder(
        authority=f"Министерство образования ({region.name})" if region is not None else "",
        year=year,
        order_number=order_number,
        order_date=order_date,
        signatory=signatory,
        appendices=appendices,
    )
    return list_order_filename(order), list_order_docx(order)
