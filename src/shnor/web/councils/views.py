"""Pages of working groups and councils: the groups, one group (members, meetings), one meeting
(attendance, «Слушали / Решили», tasks, decisions into school roadmaps, the protocol DOCX) and the tasks
with overdue marking.

Thin: every object comes through a scoped selector (404 outside the user's scope); rights and rules are
the services'."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST

from shnor.core.reports.council_protocol import DOCX_MIME, protocol_docx, protocol_filename
from shnor.web import params
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.councils import forms as f
from shnor.web.councils import selectors as sel
from shnor.web.councils import services
from shnor.web.councils.models import AgendaItem, Group, GroupLevel, Meeting, Member, TaskStatus
from shnor.web.registry.models import Region
from shnor.web.registry.selectors import in_region


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _invalid(request: HttpRequest, form) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errs:
            messages.error(request, f"{label}: {e}" if label else str(e))


def _group(request: HttpRequest, pk: int) -> Group:
    return get_object_or_404(sel.groups_visible(user=request.user), pk=pk)


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(sel.meetings_visible(user=request.user), pk=pk)


def _item(request: HttpRequest, pk: int) -> AgendaItem:
    return get_object_or_404(
        AgendaItem.objects.filter(meeting__in=sel.meetings_visible(user=request.user)).select_related(
            "meeting__group"
        ),
        pk=pk,
    )


def _unit_schools(request: HttpRequest, group: Group):
    qs = schools_visible_to(user=request.user)
    if group.level == GroupLevel.MUNICIPALITY:
        return qs.filter(municipality_id=group.municipality_id).order_by("name")
    return qs.filter(in_region(group.region_id)).order_by("name")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The groups of the user's scope; a new group from here."""
    user = request.user
    may_create = sel.can_create(user=user)
    form = None
    if may_create:
        form = f.GroupForm(request.POST or None, municipalities=sel.municipalities_for(user=user))
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(services.REFUSED)
        if form.is_valid():
            d = form.cleaned_data
            region = d["municipality"].region if d["municipality"] else None
            if d["level"] == GroupLevel.REGION:
                region = Region.objects.filter(pk=scope_of(user).region_id).first() or region
            try:
                group = services.group_create(
                    actor=user,
                    name=d["name"],
                    kind=d["kind"],
                    level=d["level"],
                    region=region,
                    municipality=d["municipality"],
                    authority=d["authority"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"Создана группа «{group.name}»: добавьте её состав.")
                return redirect("councils:group", pk=group.pk)
        else:
            _invalid(request, form)
    today = dt.date.today()
    tasks = sel.tasks_visible(user=user)
    return render(
        request,
        "councils/index.html",
        {
            "groups": sel.groups_visible(user=user),
            "form": form,
            "overdue": tasks.filter(sel.overdue_filter(today)).count(),
            "open_tasks": tasks.exclude(status=TaskStatus.DONE).count(),
        },
    )


@login_required
def group(request: HttpRequest, pk: int) -> HttpResponse:
    """A group: its members, its meetings, the forms to add a member and hold a meeting."""
    obj = _group(request, pk)
    manage = sel.can_manage(user=request.user, group=obj)
    active = obj.members.filter(active=True)
    return render(
        request,
        "councils/group.html",
        {
            "group": obj,
            "members": sel.members_ordered(obj),
            "meetings": obj.meetings.all(),
            "manage": manage,
            "member_form": f.MemberForm() if manage else None,
            "meeting_form": f.MeetingForm(members=active, initial={"held_on": dt.date.today()})
            if manage
            else None,
        },
    )


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a member."""
    obj = _group(request, pk)
    form = f.MemberForm(request.POST)
    if form.is_valid():
        try:
            m = services.member_add(actor=request.user, group=obj, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"В состав добавлен(а) {m.full_name}.")
    else:
        _invalid(request, form)
    return redirect("councils:group", pk=obj.pk)


@login_required
@require_POST
def member_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """A member leaves the group."""
    member = get_object_or_404(Member.objects.filter(group__in=sel.groups_visible(user=request.user)), pk=pk)
    services.member_leave(actor=request.user, member=member)
    messages.success(request, f"{member.full_name} выбыл(а) из состава.")
    return redirect("councils:group", pk=member.group_id)


@login_required
@require_POST
def meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Hold a meeting: date, place, attendance, agenda."""
    obj = _group(request, pk)
    form = f.MeetingForm(request.POST, members=obj.members.filter(active=True))
    if not form.is_valid():
        _invalid(request, form)
        return redirect("councils:group", pk=obj.pk)
    d = form.cleaned_data
    try:
        meeting = services.meeting_create(
            actor=request.user,
            group=obj,
            held_on=d["held_on"],
            agenda=form.agenda_items(),
            present=list(d["present"]),
            number=d["number"],
            time_text=d["time_text"],
            place=d["place"],
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("councils:group", pk=obj.pk)
    messages.success(request, "Заседание сохранено: запишите по вопросам повестки «Слушали» и «Решили».")
    return redirect("councils:meeting", pk=meeting.pk)


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting: attendance, items with «Слушали / Решили», tasks, decisions into roadmaps."""
    obj = _meeting(request, pk)
    group_obj = obj.group
    manage = sel.can_manage(user=request.user, group=group_obj)
    members = sel.members_ordered(group_obj)
    present = set(obj.present.values_list("pk", flat=True))
    roadmaps = sel.schools_for_roadmap(user=request.user, group=group_obj, year=obj.held_on.year)
    schools = _unit_schools(request, group_obj)
    items = []
    today = dt.date.today()
    for item in obj.items.prefetch_related("tasks__school").order_by("position", "id"):
        items.append(
            {
                "item": item,
                "tasks": [(t, t.overdue(today)) for t in item.tasks.all()],
                "form": f.ItemForm(
                    initial={"heard": item.heard, "decided": item.decided}, prefix=f"i{item.pk}"
                )
                if manage
                else None,
                "task_form": f.TaskForm(schools=schools, prefix=f"t{item.pk}") if manage else None,
                "roadmap_form": f.RoadmapForm(
                    roadmaps=roadmaps, prefix=f"r{item.pk}", initial={"title": item.decided}
                )
                if manage and roadmaps.exists()
                else None,
            }
        )
    attendance = None
    if manage:
        attendance = f.AttendanceForm(members=group_obj.members.all(), initial={"present": list(present)})
    return render(
        request,
        "councils/meeting.html",
        {
            "meeting": obj,
            "group": group_obj,
            "members": [(m, m.pk in present) for m in members],
            "items": items,
            "manage": manage,
            "attendance": attendance,
        },
    )


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct who attended."""
    obj = _meeting(request, pk)
    form = f.AttendanceForm(request.POST, members=obj.group.members.all())
    if form.is_valid():
        services.attendance_set(actor=request.user, meeting=obj, present=list(form.cleaned_data["present"]))
        messages.success(request, "Присутствие отмечено.")
    else:
        _invalid(request, form)
    return redirect("councils:meeting", pk=obj.pk)


@login_required
@require_POST
def item_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save «Слушали» and «Решили» of an item."""
    item = _item(request, pk)
    form = f.ItemForm(request.POST, prefix=f"i{item.pk}")
    if form.is_valid():
        services.item_save(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, f"Вопрос {item.position}: решение записано.")
    else:
        _invalid(request, form)
    return redirect(f"{_meeting_url(item)}#item-{item.pk}")


def _meeting_url(item: AgendaItem) -> str:
    return reverse("councils:meeting", args=[item.meeting_id])


@login_required
@require_POST
def task_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A task set by the item's decision."""
    item = _item(request, pk)
    form = f.TaskForm(request.POST, schools=_unit_schools(request, item.meeting.group), prefix=f"t{item.pk}")
    if form.is_valid():
        try:
            services.task_create(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Поручение поставлено.")
    else:
        _invalid(request, form)
    return redirect(f"{_meeting_url(item)}#item-{item.pk}")


@login_required
@require_POST
def to_roadmaps(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision as an activity of the chosen schools' roadmaps."""
    item = _item(request, pk)
    group_obj = item.meeting.group
    roadmaps = sel.schools_for_roadmap(user=request.user, group=group_obj, year=item.meeting.held_on.year)
    form = f.RoadmapForm(request.POST, roadmaps=roadmaps, prefix=f"r{item.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            added = services.item_to_roadmaps(
                actor=request.user,
                item=item,
                roadmaps=list(d["roadmaps"]),
                title=d["title"],
                period_text=d["period_text"],
                due_date=d["due_date"],
                executor=d["executor"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Мероприятие добавлено в дорожные карты школ: {len(added)}.")
    else:
        _invalid(request, form)
    return redirect(f"{_meeting_url(item)}#item-{item.pk}")


@login_required
def protocol(request: HttpRequest, pk: int) -> HttpResponse:
    """The protocol of the meeting as DOCX."""
    obj = _meeting(request, pk)
    facts = sel.protocol_facts(obj)
    resp = HttpResponse(protocol_docx(facts), content_type=DOCX_MIME)
    resp["Content-Disposition"] = content_disposition_header(True, protocol_filename(facts))
    return resp


#: Tasks on a page of the tasks list.
TASKS_PER_PAGE = 100


def _tasks_query(source: QueryDict) -> tuple[bool, int]:
    """The tasks list's filter and page number (``?overdue=1``, ``?page=``)."""
    only = params.flag(source, "overdue", label="только просроченные")
    number = params.integer(source, "page", default=1, minimum=1, label="номер страницы")
    return only, number or 1


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """The tasks of the user's scope, overdue first, then by deadline, a page at a time (ordered by the
    database, so an overdue task is on the first pages however many tasks there are); ``?overdue=1`` only
    the overdue ones."""
    only, number = _tasks_query(request.GET)
    today = dt.date.today()
    qs = sel.tasks_ordered(sel.tasks_visible(user=request.user), today, overdue_only=only)
    page = Paginator(qs, TASKS_PER_PAGE).get_page(number)
    return render(
        request,
        "councils/tasks.html",
        {
            "rows": [(t, t.overdue(today), sel.can_mark_task(user=request.user, task=t)) for t in page],
            "page": page,
            "only": only,
            "statuses": TaskStatus.choices,
        },
    )


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task's progress, then back to the page and filter of the list it was marked from (the form
    posts them in its address)."""
    only, number = _tasks_query(request.GET)
    task = get_object_or_404(sel.tasks_visible(user=request.user), pk=pk)
    form = f.TaskStatusForm(request.POST)
    if form.is_valid():
        try:
            services.task_mark(actor=request.user, task=task, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Исполнение поручения отмечено.")
    else:
        _invalid(request, form)
    back: dict[str, str] = {}
    if only:
        back["overdue"] = "1"
    if number > 1:
        back["page"] = str(number)
    url = reverse("councils:tasks")
    return redirect(f"{url}?{urlencode(back)}" if back else url)
