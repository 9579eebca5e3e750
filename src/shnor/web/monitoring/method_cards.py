"""Method cards pages (thin): every method in short, one method in full, either as DOCX.

The cards are data (``shnor.core.method_cards``). The error rates measured on verdicts come from the
objectivity cases (``shnor.web.cases``, an app below this one, which may be absent): per sign, how many
flags were raised, reviewed and confirmed in the latest run's year among the user's visible schools.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe

from shnor.core.method_cards import MethodCard, cards_load
from shnor.core.reports.annual_report import DOCX_MIME
from shnor.core.reports.method_card import NO_VERDICTS, SECTIONS, method_cards_docx
from shnor.web import params
from shnor.web.accounts.selectors import schools_visible_to

#: The card whose flags are reviewed as cases (the verdict-based rates belong to it).
CASES_METHOD = "objectivity"
_CODE = re.compile(r"`([^`]+)`")


def _totals(table: Iterable[Mapping[str, Any]]) -> tuple[int, int, int]:
    """Sums over the signs of ``sign_table``'s rows: (raised, reviewed, confirmed)."""
    raised = reviewed = confirmed = 0
    for row in table:
        raised += int(row.get("raised") or 0)
        reviewed += int(row.get("reviewed") or 0)
        confirmed += int(row.get("confirmed") or 0)
    return raised, reviewed, confirmed


def _sign_table() -> Callable[..., Iterable[Mapping[str, Any]]] | None:
    """``shnor.web.cases.selectors.sign_table``, or None while the cases app is absent."""
    try:
        from shnor.web.cases.selectors import sign_table
    except ImportError:
        sign_table = None
    return sign_table


def verdict_rates(user: Any) -> dict[str, str]:
    """Per method code, the sentence on its rates measured from verdicts (only methods with cases).

    No cases app, no done run or nothing reviewed yet: the card says «проверок по делам ещё не было».
    """
    sign_table = _sign_table()
    if sign_table is None:
        return {}
    from shnor.web.identification.selectors import run_pick

    run = run_pick()
    if run is None:
        return {}
    raised, reviewed, confirmed = _totals(sign_table(schools=schools_visible_to(user=user), year=run.year))
    if not reviewed:
        return {}
    return {
        CASES_METHOD: (
            f"Подтверждено после рассмотрения: {confirmed} из {reviewed} рассмотренных (флагов: {raised}); "
            f"{run.year} год, школы вашей области видимости, флаги считаются по признакам."
        )
    }


def _html(text: str) -> SafeString:
    """A card's line for the page: escaped, a span in backticks (a command) as ``<code>``."""
    parts, pos = [], 0
    for m in _CODE.finditer(text):
        parts.append(escape(text[pos : m.start()]))
        parts.append(f"<code>{escape(m.group(1))}</code>")
        pos = m.end()
    parts.append(escape(text[pos:]))
    return mark_safe("".join(parts))  # every part escaped above


def _sections(card: MethodCard) -> list[dict[str, Any]]:
    return [
        {"key": attr, "heading": heading, "lines": [_html(x) for x in getattr(card, attr)]}
        for attr, heading in SECTIONS
    ]


def _docx(cards: list[MethodCard], user: Any, name: str) -> HttpResponse:
    response = HttpResponse(method_cards_docx(cards, verdict_rates(user)), content_type=DOCX_MIME)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _wants_docx(request: HttpRequest) -> bool:
    return params.choice(request.GET, "format", {"docx": "DOCX"}, label="формат") == "docx"


@login_required
def method_cards(request: HttpRequest) -> HttpResponse:
    """Every method: what it is for, what its flag means and does not mean (the full card one click away)."""
    cards = list(cards_load().values())
    if _wants_docx(request):
        return _docx(cards, request.user, "method_cards.docx")
    return render(request, "monitoring/method_cards.html", {"cards": cards})


@login_required
def method_card(request: HttpRequest, code: str) -> HttpResponse:
    """One method in full, with the rates measured on the region's verdicts when there are any."""
    card = cards_load().get(code)
    if card is None:
        raise Http404("Такой методики нет")
    if _wants_docx(request):
        return _docx([card], request.user, f"method_card_{code}.docx")
    rates = verdict_rates(request.user)
    return render(
        request,
        "monitoring/method_card.html",
        {
            "card": card,
            "purpose": _html(card.purpose),
            "sections": _sections(card),
            "verdict_rate": rates.get(code, NO_VERDICTS),
        },
    )
