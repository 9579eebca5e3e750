"""The login form with the lockout check."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from shnor.web.accounts.middleware import client_ip
from shnor.web.accounts.services import login_failure_record, login_locked_until, login_success_record


def _locked_message(until) -> str:  # type: ignore[no-untyped-def]
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return f"Слишком много неудачных попыток входа. Повторите через {minutes} мин."


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form that refuses a (username, IP) pair locked out after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Неверное имя пользователя или пароль.",
        "inactive": "Учётная запись отключена.",
    }

    def clean(self):  # type: ignore[no-untyped-def]
        """Check the lockout first, then the password; count failures and clear them on success."""
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        until = login_locked_until(username=username, ip=ip)
        if until:
            raise forms.ValidationError(_locked_message(until), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            until = login_failure_record(username=username, ip=ip)
            if until:
                raise forms.ValidationError(_locked_message(until), code="locked") from None
            raise
        login_success_record(username=username, ip=ip)
        return cleaned


class TokenForm(forms.Form):
    """A new API token's purpose."""

    name = forms.CharField(label="Назначение токена", max_length=200)
