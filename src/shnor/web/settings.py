"""Django settings, all from the environment; bad values fail loudly.

SHNOR_HOME      data folder (SQLite database, warehouse, secrets); default ./var
DATABASE_URL    PostgreSQL (or any dj-database-url URL); default SQLite in SHNOR_HOME
SHNOR_SECRET_KEY Django secret; generated once into SHNOR_HOME/secret_key when unset
SHNOR_DEBUG     1/0
SHNOR_ALLOWED_HOSTS comma-separated
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from shnor.core.store.home import shnor_home, stored_secret

HOME: Path = shnor_home()


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "да"}:
        return True
    if raw.lower() in {"0", "false", "no", "нет"}:
        return False
    raise ImproperlyConfigured(f"{name}: ожидается 1 или 0, получено {raw!r}")


SECRET_KEY = os.environ.get("SHNOR_SECRET_KEY") or stored_secret(HOME, "secret_key")
DEBUG = _bool("SHNOR_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("SHNOR_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shnor.web.registry",
    "shnor.web.assessments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shnor.web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "shnor.web.wsgi.application"

_db_url = os.environ.get("DATABASE_URL")
if _db_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
    except Exception as exc:  # dj-database-url raises several kinds
        raise ImproperlyConfigured(f"DATABASE_URL не разобран: {exc}") from exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HOME / "shnor.sqlite3",
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "ru"
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
