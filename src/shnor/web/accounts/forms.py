"""The login form with the throttling checks."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from shnor.web.accounts.middleware import client_ip
from shnor.web.accounts.services import (
    KNOWN_COOKIE,
    login_failure_record,
    login_known,
    login_refusal_record,
    login_success_record,
    login_throttle_check,
)


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form behind the throttling of ``accounts.services``: the address's rate limit, the
    growing waits of a login from an address, the soft wait of a login (not in a browser it has logged
    in from before). A refused attempt never reaches the password check."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Неверное имя пользователя или пароль.",
        "inactive": "Учётная запись отключена.",
    }

    def clean(self):
        """Check the throttles first, then the password; count failures and clear them on success."""
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        cookie = self.request.COOKIES.get(KNOWN_COOKIE, "") if self.request else ""
        known = login_known(cookie=cookie, username=username)
        throttle = login_throttle_check(username=username, ip=ip, known=known)
        if throttle:
            login_refusal_record(username=username, ip=ip)
            raise forms.ValidationError(throttle.message, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle = login_failure_record(username=username, ip=ip, known=known)
            if throttle:
                raise forms.ValidationError(throttle.message, code="throttled") from None
            raise
        login_success_record(username=username, ip=ip)
        return cleaned


class TokenForm(forms.Form):
    """A new API token's purpose."""

    name = forms.CharField(label="Назначение токена", max_length=200)
