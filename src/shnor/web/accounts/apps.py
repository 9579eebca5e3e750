"""App config: wires the audit-log signal handlers and the scoping rule."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, scoping, audit."""

    name = "shnor.web.accounts"
    label = "accounts"
    verbose_name = "Пользователи и роли"

    def ready(self) -> None:
        """Connect the audit signal handlers; give the scoped querysets their rule (the role ladder)."""
        from shnor.web.accounts import signals  # noqa: F401
        from shnor.web.accounts.scope import school_rule, scope_of
        from shnor.web.scoping import scope_rule_register

        scope_rule_register(scope_of=scope_of, root_rule=school_rule)
