"""App config: wires the audit-log signal handlers."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, scoping, audit."""

    name = "shnor.web.accounts"
    label = "accounts"
    verbose_name = "Пользователи и роли"

    def ready(self) -> None:
        """Connect the audit signal handlers."""
        from shnor.web.accounts import signals  # noqa: F401
