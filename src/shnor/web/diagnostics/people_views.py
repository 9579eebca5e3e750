"""Pages of people's development under /diagnostics/people/: heads and specialists, internships,
mentoring pairs, the reserve of heads, competitions of programmes, the school's section, the export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shnor.web.diagnostics import people_forms as pf
from shnor.web.diagnostics import people_selectors as sel
from shnor.web.diagnostics import people_services as svc
from shnor.web.diagnostics.people_exports import people_xlsx
from shnor.web.registry.models import School


def _save(request: HttpRequest, form: Any, write: Callable[[dict], Any], done: str) -> bool:
    """Validate ``form`` and run ``write``; a Russian message either way. True when written."""
    if not form.is_valid():
        messages.error(request, "Проверьте поля формы: " + "; ".join(_errors(form)))
        return False
    try:
        write(form.cleaned_data)
    except ValueError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


def _errors(form: Any) -> list[str]:
    out = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else "форма"
        out += [f"«{label}»: {e}" for e in errs]
    return out


def _recorder(request: HttpRequest, pairs: bool = False) -> None:
    allowed = sel.can_record_pairs(request.user) if pairs else sel.can_record(request.user)
    if not allowed:
        raise PermissionDenied("Вносить записи о развитии кадров могут регион и муниципалитет.")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Heads and specialists of the scope, suggested host schools, counts and links."""
    recorder = sel.can_record(request.user)
    form = pf.PersonForm(request.POST or None, user=request.user) if recorder else None
    if request.method == "POST":
        _recorder(request)
        d_ok = _save(
            request,
            form,
            lambda d: svc.person_create(
                full_name=d["full_name"],
                position=d["position"],
                school=d["school"],
                municipality=d["municipality"],
                user=request.user,
            ),
            "Сотрудник внесён.",
        )
        if d_ok:
            return redirect("diagnostics:people")
    return render(
        request,
        "diagnostics/people/index.html",
        {
            "people": sel.people_visible_to(user=request.user),
            "hosts": sel.host_suggestions(user=request.user),
            "n_internships": sel.internships_visible_to(user=request.user).count(),
            "n_pairs": sel.pairs_visible_to(user=request.user).count(),
            "n_reserve": sel.reserve_visible_to(user=request.user).count(),
            "n_competitions": sel.competitions_visible_to(user=request.user).count(),
            "form": form,
        },
    )


@login_required
def internships(request: HttpRequest) -> HttpResponse:
    """Internships and coaching practices; region and municipality record them."""
    recorder = sel.can_record(request.user)
    form = pf.InternshipForm(request.POST or None, user=request.user) if recorder else None
    if request.method == "POST":
        _recorder(request)
        created: dict[str, Any] = {}

        def write(d: dict) -> None:
            created["obj"] = svc.internship_create(
                kind=d["kind"],
                host=d["host"],
                guests=list(d["guests"]),
                topic=d["topic"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                outcome=d["outcome"],
                user=request.user,
            )

        if _save(request, form, write, "Стажировка внесена."):
            return redirect("diagnostics:internship", pk=created["obj"].pk)
    return render(
        request,
        "diagnostics/people/internships.html",
        {
            "internships": sel.internships_visible_to(user=request.user),
            "hosts": sel.host_suggestions(user=request.user),
            "form": form,
        },
    )


@login_required
def internship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One internship: host, guests, dates, topic, status and outcome (recorders change them)."""
    internship = get_object_or_404(sel.internships_visible_to(user=request.user), pk=pk)
    recorder = sel.can_record(request.user)
    form = None
    if recorder:
        initial = {"status": internship.status, "outcome": internship.outcome}
        form = pf.InternshipStatusForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _recorder(request)
        ok = _save(
            request,
            form,
            lambda d: svc.internship_update(
                internship=internship, status=d["status"], outcome=d["outcome"], user=request.user
            ),
            "Итог стажировки сохранён.",
        )
        if ok:
            return redirect("diagnostics:internship", pk=internship.pk)
    return render(request, "diagnostics/people/internship.html", {"internship": internship, "form": form})


@login_required
def pairs(request: HttpRequest) -> HttpResponse:
    """Mentoring pairs; region, municipality and the mentee's school record them."""
    recorder = sel.can_record_pairs(request.user)
    form = pf.MentoringPairForm(request.POST or None, user=request.user) if recorder else None
    if request.method == "POST":
        _recorder(request, pairs=True)
        created: dict[str, Any] = {}

        def write(d: dict) -> None:
            created["obj"] = svc.mentoring_pair_create(user=request.user, **d)

        if _save(request, form, write, "Наставническая пара внесена."):
            return redirect("diagnostics:pair", pk=created["obj"].pk)
    return render(
        request,
        "diagnostics/people/pairs.html",
        {"pairs": sel.pairs_visible_to(user=request.user), "form": form},
    )


@login_required
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pair: goals, the meetings log, the result."""
    pair = get_object_or_404(sel.pairs_visible_to(user=request.user), pk=pk)
    editor = svc.may_edit_pair(request.user, pair)
    return render(
        request,
        "diagnostics/people/pair.html",
        {
            "pair": pair,
            "meetings": pair.meetings.all(),
            "meeting_form": pf.MeetingForm() if editor else None,
            "result_form": pf.PairResultForm(
                initial={"status": pair.status, "result": pair.result, "ends_on": pair.ends_on}
            )
            if editor
            else None,
        },
    )


@login_required
@require_POST
def pair_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a meeting to the pair's log."""
    pair = get_object_or_404(sel.pairs_visible_to(user=request.user), pk=pk)
    form = pf.MeetingForm(request.POST)
    _save(
        request,
        form,
        lambda d: svc.meeting_add(pair=pair, held_on=d["held_on"], note=d["note"], user=request.user),
        "Встреча записана в журнал.",
    )
    return redirect("diagnostics:pair", pk=pair.pk)


@login_required
@require_POST
def pair_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the pair's status, result and end date."""
    pair = get_object_or_404(sel.pairs_visible_to(user=request.user), pk=pk)
    form = pf.PairResultForm(request.POST)
    _save(
        request,
        form,
        lambda d: svc.pair_update(
            pair=pair, status=d["status"], result=d["result"], ends_on=d["ends_on"], user=request.user
        ),
        "Итог наставничества сохранён.",
    )
    return redirect("diagnostics:pair", pk=pair.pk)


@login_required
def reserve(request: HttpRequest) -> HttpResponse:
    """The reserve of heads; region and municipality keep it."""
    recorder = sel.can_record(request.user)
    form = pf.ReserveForm(request.POST or None, user=request.user) if recorder else None
    if request.method == "POST":
        _recorder(request)
        ok = _save(
            request,
            form,
            lambda d: svc.reserve_add(user=request.user, **d),
            "Сотрудник включён в кадровый резерв.",
        )
        if ok:
            return redirect("diagnostics:reserve")
    return render(
        request,
        "diagnostics/people/reserve.html",
        {
            "entries": sel.reserve_visible_to(user=request.user),
            "form": form,
            "status_form": pf.ReserveStatusForm() if recorder else None,
        },
    )


@login_required
@require_POST
def reserve_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a reserve entry's status."""
    _recorder(request)
    entry = get_object_or_404(sel.reserve_visible_to(user=request.user), pk=pk)
    _save(
        request,
        pf.ReserveStatusForm(request.POST),
        lambda d: svc.reserve_set_status(entry=entry, status=d["status"], note=d["note"], user=request.user),
        "Статус в резерве изменён.",
    )
    return redirect("diagnostics:reserve")


@login_required
def competitions(request: HttpRequest) -> HttpResponse:
    """Competitions of development programmes of the region and the municipality."""
    recorder = sel.can_record(request.user)
    form = pf.CompetitionForm(request.POST or None) if recorder else None
    if request.method == "POST":
        _recorder(request)
        created: dict[str, Any] = {}

        def write(d: dict) -> None:
            created["obj"] = svc.competition_create(title=d["title"], year=d["year"], user=request.user)

        if _save(request, form, write, "Конкурс создан."):
            return redirect("diagnostics:competition", pk=created["obj"].pk)
    return render(
        request,
        "diagnostics/people/competitions.html",
        {"competitions": sel.competitions_visible_to(user=request.user), "form": form},
    )


@login_required
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A competition's entries with results; its organiser adds entries and results."""
    competition = get_object_or_404(sel.competitions_visible_to(user=request.user), pk=pk)
    organiser = svc.may_run_competition(request.user, competition)
    form = pf.EntryForm(request.POST or None, request.FILES or None, user=request.user) if organiser else None
    if request.method == "POST":
        if not organiser:
            raise PermissionDenied("Заявки вносит организатор конкурса.")
        ok = _save(
            request,
            form,
            lambda d: svc.entry_add(
                competition=competition,
                school=d["school"],
                programme=d["programme"],
                upload=d["file"],
                user=request.user,
            ),
            "Заявка внесена.",
        )
        if ok:
            return redirect("diagnostics:competition", pk=competition.pk)
    entries = sel.entries_visible_to(user=request.user).filter(competition=competition)
    return render(
        request,
        "diagnostics/people/competition.html",
        {
            "competition": competition,
            "entries": entries,
            "form": form,
            "result_form": pf.EntryResultForm() if organiser else None,
        },
    )


@login_required
@require_POST
def entry_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an entry's place, score and the jury's decision."""
    entry = get_object_or_404(sel.entries_visible_to(user=request.user), pk=pk)
    _save(
        request,
        pf.EntryResultForm(request.POST),
        lambda d: svc.entry_result(entry=entry, user=request.user, **d),
        "Итог заявки сохранён.",
    )
    return redirect("diagnostics:competition", pk=entry.competition_id)


@login_required
def entry_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme file of an entry the user sees."""
    entry = get_object_or_404(sel.entries_visible_to(user=request.user), pk=pk)
    if not entry.file:
        raise Http404("У заявки нет файла программы.")
    return FileResponse(
        entry.file.open("rb"), as_attachment=True, filename=entry.original_name or "programme"
    )


@login_required
def school_section(request: HttpRequest, school_id: str) -> HttpResponse:
    """The school's «Развитие кадров» section on a page of its own (the same tag as on the school card)."""
    school = get_object_or_404(School.objects.visible_to(request.user), school_id=school_id)
    return render(request, "diagnostics/people/school.html", {"school": school})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Internships, mentoring pairs, the reserve and competitions as XLSX."""
    body = people_xlsx(user=request.user)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="people_development.xlsx"'
    return response
