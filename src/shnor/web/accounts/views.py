"""Login, logout, the personal page with API tokens, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shnor.web.accounts.audit_display import entry_view
from shnor.web.accounts.forms import ThrottledLoginForm, TokenForm
from shnor.web.accounts.models import ApiToken, AuditEntry
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import home_url_name, profile_of, schools_visible_to
from shnor.web.accounts.services import (
    KNOWN_COOKIE,
    KNOWN_COOKIE_DAYS,
    api_token_create,
    api_token_revoke,
    login_known_cookie,
)
from shnor.web.registry.selectors import text_match


class LoginView(auth_views.LoginView):
    """Django's login view with the throttled form; a successful login marks the browser as one this
    user logs in from (the ``shnor_known`` cookie: keyed hashes, no usernames)."""

    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        """Log in, then remember this browser for this user."""
        response = super().form_valid(form)
        value = login_known_cookie(
            cookie=self.request.COOKIES.get(KNOWN_COOKIE, ""), username=form.get_user().get_username()
        )
        response.set_cookie(
            KNOWN_COOKIE,
            value,
            max_age=KNOWN_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the page of their role."""
    name, kwargs = home_url_name(user=request.user)
    return redirect(name, **kwargs)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The personal page: role, scope, API tokens (create, revoke)."""
    new_key = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            messages.success(request, "Токен создан. Скопируйте его сейчас: он больше не будет показан.")
            form = TokenForm()
    else:
        form = TokenForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": profile_of(user=request.user),
            "tokens": ApiToken.objects.filter(user=request.user),
            "form": form,
            "new_key": new_key,
            "n_schools": schools_visible_to(user=request.user).count(),
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens."""
    if api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, "Токен отозван.")
    else:
        messages.error(request, "Токен не найден.")
    return redirect("accounts:profile")


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit log (administrators and region analysts)."""
    if not scope_of(request.user).can_read_audit:
        raise PermissionDenied("Журнал изменений доступен администратору и аналитикам региона.")
    qs = AuditEntry.objects.all()
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(text_match("username", q) | text_match("object_repr", q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [entry_view(e) for e in page]
    return render(request, "accounts/audit.html", {"page": page, "rows": rows, "q": q})
