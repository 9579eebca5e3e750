"""Profiles with a role and a scope, login-failure counters, the audit log and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.accounts.roles import Role
from shnor.web.registry.models import Municipality, Region, School


class Profile(models.Model):
    """A user's role and scope: a region, a municipality, a school, or the schools a curator is assigned."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField("роль", max_length=16, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, verbose_name="муниципалитет"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, verbose_name="школа")
    curated_schools = models.ManyToManyField(
        School, blank=True, related_name="curators", verbose_name="закреплённые школы"
    )

    class Meta:
        verbose_name = "профиль"
        verbose_name_plural = "профили"

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class LoginFailure(models.Model):
    """Unsuccessful logins of one username from one address (a streak, forgotten after
    ``LOGIN_WINDOW_MINUTES`` of quiet): wrong passwords make the waits grow (``accounts.services``),
    refused attempts count against the address's rate limit."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    failures = models.PositiveIntegerField("неверных паролей", default=0)
    last_failure_at = models.DateTimeField("последний неверный пароль", null=True, blank=True)
    refused = models.PositiveIntegerField("отклонено без проверки", default=0)
    last_at = models.DateTimeField("последняя попытка", null=True, blank=True)

    class Meta:
        verbose_name = "неудачные входы"
        verbose_name_plural = "неудачные входы"
        constraints = [models.UniqueConstraint(fields=["username", "ip"], name="login_failure_key")]
        indexes = [models.Index(fields=["ip", "last_at"], name="login_failure_ip")]


class AuditEntry(models.Model):
    """One change or security event: who, when, what."""

    at = models.DateTimeField("когда", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="кто"
    )
    username = models.CharField("имя пользователя", max_length=150, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    action = models.CharField("действие", max_length=100)
    object_type = models.CharField("объект", max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField("описание", max_length=500, blank=True)
    changes = models.JSONField("что изменено", default=dict, blank=True)

    class Meta:
        verbose_name = "запись журнала"
        verbose_name_plural = "журнал изменений"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type} {self.object_repr}"


class ApiToken(models.Model):
    """A token for integrations; only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("назначение", max_length=200)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField("отозван", default=False)

    class Meta:
        verbose_name = "API-токен"
        verbose_name_plural = "API-токены"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invitation(models.Model):
    """A one-time code (in a link or on a printed sheet) that lets a user set their password.

    Only the SHA-256 of the code is stored; the code is shown once (e-mail or printed sheet). It works
    once (``used_at``), until ``expires_at``, and a newer invitation revokes the older ones.
    The model also carries the «администратор пользователей» permission.
    """

    EMAIL, SHEET = "email", "sheet"
    CHANNELS = [(EMAIL, "письмо"), (SHEET, "печатный лист")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    key_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField("способ", max_length=8, choices=CHANNELS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="выдал",
    )
    created_at = models.DateTimeField("выдано", auto_now_add=True)
    expires_at = models.DateTimeField("действует до")
    used_at = models.DateTimeField("использовано", null=True, blank=True)
    revoked_at = models.DateTimeField("отозвано", null=True, blank=True)

    class Meta:
        verbose_name = "приглашение"
        verbose_name_plural = "приглашения"
        ordering = ["-created_at", "-id"]
        permissions = [("manage_users", "Администратор пользователей своего региона")]

    def __str__(self) -> str:
        return f"приглашение для {self.user} до {self.expires_at:%d.%m.%Y}"
