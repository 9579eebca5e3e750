"""User management pages (region administrators, superusers), invitations and password reset.

Pages: the users of the region (search, filters, pages), a user's page (role and scope, switching off and
on, invitations), a new user, import from CSV/XLSX (check → preview → confirm), invitations by e-mail or on
a printed sheet (HTML or PDF). Public pages: the invitation code → a new password; password reset by e-mail.
"""

from __future__ import annotations

import functools
import re
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from shnor.core.ingest.errors import IngestError
from shnor.web import params
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.middleware import client_ip
from shnor.web.accounts.models import AuditEntry, Invitation, Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.accounts.users import (
    IssuedInvitation,
    ScopeError,
    email_key,
    invitation_accept,
    invitation_find,
    invitation_issue,
    invitation_state,
    latest_invitations,
    managed_region,
    recent_events,
    user_active_set,
    user_create_scoped,
    user_is_users_admin,
    user_scope,
    user_update,
    users_managed_by,
    users_search,
)
from shnor.web.accounts.users_forms import ImportForm, InviteCodeForm, UserForm
from shnor.web.accounts.users_import import COLUMNS, ImportPlan, import_apply, import_plan, users_file_read
from shnor.web.registry.models import Municipality, Region
from shnor.web.registry.selectors import in_region

SESSION_IMPORTS = "shnor_user_imports"
SESSION_INVITATION = "shnor_invitation"
BAD_CODE = "неверный код приглашения"
BAD_CODES_PER_HOUR = 20
RESET_ACTION = "запрос сброса пароля"
#: What the user's page shows of the audit log (the row-level entries of every save are in /accounts/audit/).
HISTORY_ACTIONS = [
    "создание пользователя",
    "изменение пользователя",
    "изменение пользователя (импорт)",
    "отключение пользователя",
    "включение пользователя",
    "пароль по приглашению",
    "пароль сброшен по ссылке",
]


def users_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and an administrator of users, else 403."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).can_manage_users:
            raise PermissionDenied("Управление пользователями доступно администратору пользователей региона.")
        return view(request, *args, **kwargs)

    return wrapped


def _site_url(request: HttpRequest) -> str:
    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


def _managed_user(request: HttpRequest, pk: int) -> Any:
    user = get_object_or_404(users_managed_by(admin=request.user), pk=pk)
    if user.is_superuser:
        raise Http404("пользователь не найден")
    return user


# --- the list ---------------------------------------------------------------------------------------------


@users_admin_required
def users_list(request: HttpRequest) -> HttpResponse:
    """The region's users: search by login, ФИО, e-mail; filters by role, municipality, active."""
    region = managed_region(admin=request.user)
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    active = request.GET.get("active", "")
    mun_id = params.identifier(request.GET, "municipality", label="муниципалитет")
    users = users_search(
        users=users_managed_by(admin=request.user), q=q, role=role, municipality_id=mun_id, active=active
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    latest = latest_invitations([u.pk for u in page])
    rows = [{"user": u, "state": invitation_state(u, latest.get(u.pk))} for u in page]
    municipalities = Municipality.objects.order_by("name")
    if region is not None:
        municipalities = municipalities.filter(region=region)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/users/list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "role": role,
            "active": active,
            "municipality": mun_id,
            "roles": [(r.value, r.label.split(" (")[0]) for r in Role],
            "municipalities": municipalities,
            "region": region,
            "query": query.urlencode(),
            "total": users.count(),
        },
    )


# --- one user ---------------------------------------------------------------------------------------------


def _initial(user: User) -> dict:
    scope = user_scope(user)
    out = {"full_name": user.first_name, "email": user.email, "users_admin": user_is_users_admin(user)}
    if scope is not None:
        out.update(
            {
                "role": scope.role,
                "region": scope.region,
                "municipality": scope.municipality,
                "school": scope.school.school_id if scope.school else "",
                "curated": ", ".join(s.school_id for s in scope.curated),
            }
        )
    return out


def _schools_hint(region: Region | None) -> list:
    from shnor.web.registry.models import School

    qs = School.objects.order_by("school_id").only("school_id", "name")
    if region is not None:
        qs = qs.filter(in_region(region.pk))
    return list(qs[:5000])


def _invitation_label(inv: Invitation) -> str:
    if inv.used_at:
        return f"использовано {timezone.localtime(inv.used_at):%d.%m.%Y %H:%M}"
    if inv.revoked_at:
        return "отменено"
    return "действует" if inv.expires_at > timezone.now() else "истекло"


@users_admin_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A user's page: ФИО, e-mail, role and scope (audited), on/off, invitations, their audit entries."""
    user = _managed_user(request, pk)
    region = managed_region(admin=request.user)
    if request.method == "POST":
        form = UserForm(request.POST, admin=request.user, region=region, user=user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                diff = user_update(
                    admin=request.user,
                    user=user,
                    full_name=d["full_name"],
                    email=d["email"],
                    scope=d["scope"],
                    users_admin=d["users_admin"],
                )
            except ScopeError as exc:
                form.add_error(None, str(exc)[:1].upper() + str(exc)[1:] + ".")
            else:
                messages.success(
                    request, "Изменения сохранены: " + ", ".join(diff) if diff else "Изменений нет."
                )
                return redirect("accounts:user_detail", pk=user.pk)
    else:
        form = UserForm(initial=_initial(user), admin=request.user, region=region, user=user)
    latest = latest_invitations([user.pk])
    return render(
        request,
        "accounts/users/detail.html",
        {
            "u": user,
            "form": form,
            "state": invitation_state(user, latest.get(user.pk)),
            "invitations": [
                (i, _invitation_label(i))
                for i in Invitation.objects.filter(user=user).select_related("created_by")[:10]
            ],
            "days": settings.INVITATION_DAYS,
            "history": AuditEntry.objects.filter(
                object_type="пользователь", object_id=str(user.pk), action__in=HISTORY_ACTIONS
            )[:30],
            "schools": _schools_hint(region),
            "is_self": user.pk == request.user.pk,
        },
    )


@users_admin_required
def user_new(request: HttpRequest) -> HttpResponse:
    """One new user (without a password: an invitation follows)."""
    region = managed_region(admin=request.user)
    form = UserForm(request.POST or None, admin=request.user, region=region)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        user = user_create_scoped(
            username=d["username"], full_name=d["full_name"], email=d["email"], scope=d["scope"]
        )
        if d["users_admin"]:
            user_update(
                admin=request.user,
                user=user,
                full_name=d["full_name"],
                email=d["email"],
                scope=d["scope"],
                users_admin=True,
            )
        messages.success(
            request, f"Пользователь {user.username} создан. Выдайте ему приглашение, чтобы он задал пароль."
        )
        return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/users/new.html", {"form": form, "schools": _schools_hint(region)})


@users_admin_required
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a user off (they cannot log in; sessions, tokens and invitations stop) or on again."""
    user = _managed_user(request, pk)
    active = request.POST.get("active") == "1"
    try:
        changed = user_active_set(admin=request.user, user=user, active=active)
    except ScopeError as exc:
        messages.error(request, str(exc)[:1].upper() + str(exc)[1:] + ".")
    else:
        if changed:
            messages.success(
                request, f"Пользователь {user.username} " + ("включён." if active else "отключён.")
            )
    return redirect("accounts:user_detail", pk=user.pk)


# --- invitations: issue, send, print ----------------------------------------------------------------------


def _invite_links(request: HttpRequest, issued: list[IssuedInvitation]) -> list[dict]:
    base = _site_url(request)
    return [
        {
            "user": i.user,
            "code": i.code,
            "expires_at": i.expires_at,
            "link": base + reverse("accounts:invite_open", kwargs={"code": i.code}),
            "enter": base + reverse("accounts:invite_enter"),
            "scope": _scope_text(i.user),
        }
        for i in issued
    ]


def _scope_text(user: User) -> str:
    scope = user_scope(user)
    if scope is None:
        return ""
    role = Role(scope.role).label.split(" (")[0]
    if scope.school is not None:
        return f"{role}: {scope.school.school_id} {scope.school.name}".strip()
    if scope.municipality is not None:
        return f"{role}: {scope.municipality.name}"
    if scope.curated:
        return f"{role}: школ {len(scope.curated)}"
    return f"{role}: {scope.region.name}" if scope.region else role


def _send_invitations(request: HttpRequest, users: list[Any]) -> tuple[int, list[str]]:
    sent, problems = 0, []
    issued: list[IssuedInvitation] = []
    for user in users:
        if not user.email:
            problems.append(f"{user.username}: нет адреса эл. почты — выдайте печатный лист")
            continue
        try:
            issued.append(invitation_issue(admin=request.user, user=user, channel=Invitation.EMAIL))
        except ScopeError as exc:
            problems.append(f"{user.username}: {exc}")
    if not issued:
        return 0, problems
    connection = get_connection()
    connection.open()
    try:
        for item in _invite_links(request, issued):
            body = render_to_string(
                "accounts/users/invite_email.txt", {**item, "days": settings.INVITATION_DAYS}
            )
            message = EmailMessage(
                "Приглашение в «ШНОР · аналитика»", body, to=[item["user"].email], connection=connection
            )
            try:
                message.send()
            except Exception as exc:  # SMTP errors of many kinds: the letter is not sent, the code is dropped
                Invitation.objects.filter(user=item["user"], used_at=None, revoked_at=None).update(
                    revoked_at=timezone.now()
                )
                problems.append(f"{item['user'].username}: письмо не отправлено ({exc.__class__.__name__})")
            else:
                sent += 1
    finally:
        connection.close()
    audit_record(
        action="приглашения по эл. почте",
        object_type="пользователи",
        object_repr=", ".join(u.username for u in users)[:500],
        changes={"отправлено": sent, "не отправлено": len(problems)},
    )
    return sent, problems


def _sheet_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML

    css_path = finders.find("shnor/users.css")
    sheets = [CSS(filename=css_path)] if css_path else []
    return HTML(string=html).write_pdf(stylesheets=sheets)


@users_admin_required
@require_POST
def users_invite(request: HttpRequest) -> HttpResponse:
    """Invite the chosen users: letters with one-time links, or a printed sheet of codes (HTML or PDF).
    Each new invitation revokes the user's older ones; the codes are shown only here."""
    ids = [
        pk for pk in (params.db_int(x) for x in request.POST.getlist("users")) if pk is not None and pk > 0
    ]
    how = request.POST.get("how", "")
    back = request.POST.get("back") or reverse("accounts:users")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("accounts:users")
    users = list(
        users_managed_by(admin=request.user)
        .filter(pk__in=ids, is_superuser=False)
        .select_related("profile__region", "profile__municipality", "profile__school")
        .order_by("username")
    )
    if not users:
        messages.error(request, "Не выбран ни один пользователь.")
        return redirect(back)
    if how == "email":
        sent, problems = _send_invitations(request, users)
        if sent:
            messages.success(
                request,
                f"Отправлено приглашений: {sent}. Ссылки действуют {settings.INVITATION_DAYS} дн., "
                "каждая — один раз.",
            )
        for p in problems:
            messages.error(request, p)
        return redirect(back)
    if how not in {"sheet", "pdf"}:
        raise Http404("неизвестный способ")
    issued, problems = [], []
    for user in users:
        try:
            issued.append(invitation_issue(admin=request.user, user=user, channel=Invitation.SHEET))
        except ScopeError as exc:
            problems.append(f"{user.username}: {exc}")
    audit_record(
        action="приглашения: печатный лист",
        object_type="пользователи",
        object_repr=", ".join(i.user.username for i in issued)[:500],
        changes={"выдано": len(issued), "формат": "PDF" if how == "pdf" else "HTML"},
    )
    context = {
        "items": _invite_links(request, issued),
        "problems": problems,
        "days": settings.INVITATION_DAYS,
        "pdf": how == "pdf",
        "back": back,
        "now": timezone.now(),
    }
    if how == "pdf":
        html = render_to_string("accounts/users/sheet.html", context, request=request)
        response = HttpResponse(_sheet_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="invitations-{datetime.now():%Y%m%d-%H%M}.pdf"'
        )
        return response
    return render(request, "accounts/users/sheet.html", context)


# --- import ----------------------------------------------------------------------------------------------


def _uploads() -> Path:
    return Path(settings.HOME) / "uploads" / "users"


def _uploads_prune() -> None:
    """Files checked but never confirmed hold names and addresses: gone after a day."""
    cutoff = timezone.now().timestamp() - 24 * 3600
    folder = _uploads()
    if folder.is_dir():
        for sub in folder.iterdir():
            if sub.is_dir() and sub.stat().st_mtime < cutoff:
                shutil.rmtree(sub, ignore_errors=True)


def _upload_store(upload) -> tuple[str, str]:
    _uploads_prune()
    name = Path(upload.name.replace("\\", "/")).name.replace("\x00", "") or "users.csv"
    key = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(8)}"
    folder = _uploads() / key
    folder.mkdir(parents=True)
    with open(folder / name, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return key, name


def _upload_path(request: HttpRequest, key: str) -> tuple[Path, dict] | None:
    known = request.session.get(SESSION_IMPORTS, {})
    if not re.fullmatch(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{16}", key or "") or key not in known:
        return None
    path = _uploads() / key / known[key]["name"]
    return (path, known[key]) if path.is_file() else None


def _plan(request: HttpRequest, path: Path, region: Region) -> ImportPlan:
    try:
        rows, errors = users_file_read(raw=path.read_bytes(), name=path.name)
    except IngestError as exc:
        from shnor.core.ingest.errors import RowError

        plan = ImportPlan(file=path.name, region=region)
        plan.errors.append(RowError(path.name, "", 1, "", str(exc)))
        return plan
    return import_plan(admin=request.user, region=region, rows=rows, errors=errors, file=path.name)


def _preview(
    request: HttpRequest, plan: ImportPlan, key: str, form: ImportForm | None = None
) -> HttpResponse:
    shown = [r for r in plan.rows if r.status != "same"]
    return render(
        request,
        "accounts/users/preview.html",
        {
            "plan": plan,
            "key": key,
            "shown": shown[:2000],
            "hidden": max(0, len(shown) - 2000),
            "errors": plan.errors[:500],
            "more_errors": max(0, len(plan.errors) - 500),
            "n_new": plan.count("new"),
            "n_changed": plan.count("changed"),
            "n_same": plan.count("same"),
            "form": form or ImportForm(region=managed_region(admin=request.user)),
        },
    )


@users_admin_required
def users_import(request: HttpRequest) -> HttpResponse:
    """Upload a users' file: every row is checked and a preview shown; nothing is stored yet."""
    region = managed_region(admin=request.user)
    form = ImportForm(request.POST or None, request.FILES or None, region=region)
    if request.method == "POST" and form.is_valid():
        target_region = region or form.cleaned_data["region"]
        key, name = _upload_store(form.cleaned_data["file"])
        known = request.session.get(SESSION_IMPORTS, {})
        known = dict(list(known.items())[-9:])
        known[key] = {"name": name, "region": target_region.pk}
        request.session[SESSION_IMPORTS] = known
        plan = _plan(request, _uploads() / key / name, target_region)
        audit_record(
            action="проверка файла пользователей",
            object_type="файл",
            object_repr=name,
            changes={"строк": len(plan.rows), "ошибок": len(plan.errors), "регион": target_region.name},
        )
        return _preview(request, plan, key)
    return render(
        request,
        "accounts/users/import.html",
        {
            "form": form,
            "columns": [label for label, _ in COLUMNS.values()],
            "roles": [(r.value, r.label) for r in Role],
        },
    )


@users_admin_required
@require_POST
def users_import_confirm(request: HttpRequest) -> HttpResponse:
    """Store a previewed file: checked again; if anything changed since, the preview comes back."""
    key = request.POST.get("key", "")
    found = _upload_path(request, key)
    if found is None:
        messages.error(request, "Файл проверки не найден или устарел — загрузите его ещё раз.")
        return redirect("accounts:users_import")
    path, meta = found
    region = managed_region(admin=request.user) or get_object_or_404(Region, pk=meta["region"])
    plan = _plan(request, path, region)
    if not plan.ok:
        return _preview(request, plan, key)
    if plan.signature != request.POST.get("signature"):
        messages.error(
            request, "С момента проверки пользователи или реестр изменились — проверьте итог ещё раз."
        )
        return _preview(request, plan, key)
    update = request.POST.get("update_changed") == "1"
    result = import_apply(admin=request.user, plan=plan, update_changed=update)
    known = request.session.get(SESSION_IMPORTS, {})
    known.pop(key, None)
    request.session[SESSION_IMPORTS] = known
    shutil.rmtree(path.parent, ignore_errors=True)
    return render(request, "accounts/users/result.html", {"result": result, "plan": plan, "update": update})


# --- public: the invitation code → a password --------------------------------------------------------------


def _bad_code(request: HttpRequest) -> HttpResponse:
    audit_record(action=BAD_CODE, ip=client_ip(request), username="аноним")
    error = (
        "Код не подходит: он введён с ошибкой, уже использован, отозван или устарел. "
        "Обратитесь к администратору пользователей региона за новым приглашением."
    )
    return render(
        request, "accounts/invite/enter.html", {"form": InviteCodeForm(), "error": error}, status=404
    )


def _too_many_codes(request: HttpRequest) -> bool:
    return recent_events(action=BAD_CODE, ip=client_ip(request)) >= BAD_CODES_PER_HOUR


def _open(request: HttpRequest, code: str) -> HttpResponse:
    if _too_many_codes(request):
        error = "Слишком много неверных кодов с этого адреса. Повторите через час."
        return render(
            request, "accounts/invite/enter.html", {"form": InviteCodeForm(), "error": error}, status=429
        )
    inv = invitation_find(code=code)
    if inv is None:
        return _bad_code(request)
    request.session[SESSION_INVITATION] = inv.pk
    return redirect("accounts:invite_password")


def invite_enter(request: HttpRequest) -> HttpResponse:
    """Enter the code from a printed sheet or a letter."""
    form = InviteCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _open(request, form.cleaned_data["code"])
    return render(request, "accounts/invite/enter.html", {"form": form})


def invite_open(request: HttpRequest, code: str) -> HttpResponse:
    """The link from a letter: the code goes into the session and out of the address bar."""
    return _open(request, code)


def invite_password(request: HttpRequest) -> HttpResponse:
    """Set a password (Django's validators) with the invitation in the session; then the user is logged in."""
    inv_id = request.session.get(SESSION_INVITATION)
    inv = Invitation.objects.select_related("user").filter(pk=inv_id).first() if inv_id else None
    if (
        inv is None
        or inv.used_at
        or inv.revoked_at
        or inv.expires_at <= timezone.now()
        or not inv.user.is_active
    ):
        request.session.pop(SESSION_INVITATION, None)
        return _bad_code(request) if inv_id else redirect("accounts:invite_enter")
    form = SetPasswordForm(inv.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(invitation_id=inv.pk, password=form.cleaned_data["new_password1"])
        except ScopeError:
            request.session.pop(SESSION_INVITATION, None)
            return _bad_code(request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            f"Пароль задан, вы вошли в систему. Входите дальше с логином {user.username} и этим паролем.",
        )
        return redirect("home")
    return render(request, "accounts/invite/password.html", {"form": form, "u": inv.user})


# --- public: password reset by e-mail ----------------------------------------------------------------------


class ResetForm(PasswordResetForm):
    """Django's reset form with a Russian label."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Адрес эл. почты, указанный в вашей учётной записи"


class PasswordResetView(auth_views.PasswordResetView):
    """Letters with a reset link, at most SHNOR_PASSWORD_RESET_PER_HOUR an hour per address (and three
    times that per IP); the answer is the same whether or not the address is known."""

    form_class = ResetForm
    template_name = "accounts/password/reset_form.html"
    email_template_name = "accounts/password/reset_email.txt"
    subject_template_name = "accounts/password/reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        """Refuse too frequent requests; record each request in the audit log (that is what is counted)."""
        ip = client_ip(self.request)
        email = email_key(form.cleaned_data["email"])
        limit = settings.PASSWORD_RESET_PER_HOUR
        if (
            recent_events(action=RESET_ACTION, object_repr=email) >= limit
            or recent_events(action=RESET_ACTION, ip=ip) >= 3 * limit
        ):
            audit_record(
                action="сброс пароля: слишком часто",
                object_type="эл. почта",
                object_repr=email,
                ip=ip,
                username="аноним",
            )
            form.add_error(None, "Слишком много запросов на сброс пароля. Повторите через час.")
            return self.form_invalid(form)
        audit_record(
            action=RESET_ACTION, object_type="эл. почта", object_repr=email, ip=ip, username="аноним"
        )
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the letter: a new password (Django's validators)."""

    template_name = "accounts/password/reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        """Record the reset in the audit log."""
        response = super().form_valid(form)
        audit_record(
            action="пароль сброшен по ссылке",
            object_type="пользователь",
            object_id=str(form.user.pk),
            object_repr=form.user.username,
            user=form.user,
        )
        return response


def password_urls() -> list:
    """The reset pages' URL patterns (under /accounts/password/)."""
    from django.urls import path

    return [
        path("password/reset/", PasswordResetView.as_view(), name="password_reset"),
        path(
            "password/reset/sent/",
            auth_views.PasswordResetDoneView.as_view(template_name="accounts/password/reset_done.html"),
            name="password_reset_done",
        ),
        path(
            "password/reset/<uidb64>/<token>/",
            PasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path(
            "password/reset/done/",
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password/reset_complete.html"
            ),
            name="password_reset_complete",
        ),
    ]


def user_urls() -> list:
    """User management and invitation URL patterns (under /accounts/)."""
    from django.urls import path

    return [
        path("users/", users_list, name="users"),
        path("users/new/", user_new, name="user_new"),
        path("users/<int:pk>/", user_detail, name="user_detail"),
        path("users/<int:pk>/active/", user_active, name="user_active"),
        path("users/invite/", users_invite, name="users_invite"),
        path("users/import/", users_import, name="users_import"),
        path("users/import/confirm/", users_import_confirm, name="users_import_confirm"),
        path("invite/", invite_enter, name="invite_enter"),
        path("invite/password/", invite_password, name="invite_password"),
        path("invite/<str:code>/", invite_open, name="invite_open"),
        *password_urls(),
    ]
