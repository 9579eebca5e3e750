"""Django settings, all from the environment; bad values fail loudly.

SHNOR_HOME      data folder (SQLite database, warehouse, secrets); default ./var
DATABASE_URL    PostgreSQL (or any dj-database-url URL); default SQLite in SHNOR_HOME
SHNOR_SECRET_KEY Django secret; generated once into SHNOR_HOME/secret_key when unset
SHNOR_DEBUG     1/0
SHNOR_ALLOWED_HOSTS comma-separated
SHNOR_LOGIN_MAX_FAILURES  wrong passwords for one login from one address before each next attempt
                  from there must wait (2 s, doubling); default 5
SHNOR_LOGIN_DELAY_MAX_SECONDS  the longest such wait; default 300
SHNOR_LOGIN_ACCOUNT_FAILURES  wrong passwords for one login from all addresses before a soft wait of at
                  most a minute for browsers that have not logged in as that user before; default 10
SHNOR_LOGIN_IP_MAX_FAILURES  unsuccessful logins from one address (any usernames) before the address is
                  refused until it has been quiet for the window; default 30
SHNOR_LOGIN_WINDOW_MINUTES  failures are forgotten after this many quiet minutes; default 15
SHNOR_TRUSTED_PROXIES  comma-separated addresses or networks of reverse proxies (e.g. 127.0.0.1,::1):
                  only from them is X-Forwarded-For believed for the client address; default none
SHNOR_HTTPS      1 when users reach the site over HTTPS (a TLS proxy in front): redirect to HTTPS,
                  HSTS, secure cookies, and, with SHNOR_TRUSTED_PROXIES, X-Forwarded-Proto; default 0
SHNOR_HSTS_SECONDS  HSTS max-age with SHNOR_HTTPS; default 31536000 (a year)
SHNOR_HSTS_PRELOAD  1 to add «preload» (only after the domain's owner decided to submit it); default 0
SHNOR_UPLOAD_MAX_MB  largest file accepted by the browser import; default 200
SHNOR_UPLOAD_KEEP_HOURS  browser uploads of finished (or never started) jobs are removed after this
                  many hours by the worker and at `shnor serve` start-up; default 72
SHNOR_REPORT_KEEP_DAYS  files jobs keep for downloads (territory reports, case dossiers, deficit PDFs)
                  neither made nor downloaded for this many days are removed, at the same times; default 30
SHNOR_SECURE_COOKIES 1: secure session/CSRF cookies without the rest of SHNOR_HTTPS; default 0
SHNOR_EMAIL_HOST  SMTP server for invitations and password resets; unset: letters are written as
                  files into SHNOR_HOME/mail (works offline, nothing is sent)
SHNOR_EMAIL_PORT, SHNOR_EMAIL_USER, SHNOR_EMAIL_PASSWORD  SMTP port (default 587) and login
SHNOR_EMAIL_USE_TLS / SHNOR_EMAIL_USE_SSL  STARTTLS (default 1) / SMTP over SSL (default 0)
SHNOR_EMAIL_FROM  the sender, e.g. «ШНОР <noreply@edu.example.ru>»
SHNOR_SITE_URL    the address users open, for links in letters and printed sheets (e.g.
                  https://shnor.edu.example.ru); default: the address of the request
SHNOR_INVITATION_DAYS  how long a one-time invitation link works; default 7
SHNOR_PASSWORD_RESET_HOURS  how long a password-reset link works; default 24
SHNOR_PASSWORD_RESET_PER_HOUR  reset requests per address (e-mail, and ×3 per IP) an hour; default 5
SHNOR_ADMINS      who gets server errors (with the traceback and the request id) by e-mail, through the
                  SHNOR_EMAIL_* settings above: «Имя <mail@example.ru>, Имя2 <mail2@example.ru>»;
                  default nobody
SHNOR_LOG_LEVEL   DEBUG, INFO, WARNING (default) or ERROR: records at this level and above go to stderr and
                  to SHNOR_HOME/logs/shnor.log (rotated at 10 MB, 5 old files kept), each with its request id
"""

from __future__ import annotations

import ipaddress
import os
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from shnor.core.store.home import shnor_home, stored_secret
from shnor.web.request_log import logging_config

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


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: ожидается целое число, получено {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}: ожидается число не меньше {minimum}, получено {value}")
    return value


def _networks(name: str) -> list[str]:
    out = []
    for part in os.environ.get(name, "").split(","):
        if part.strip():
            try:
                out.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise ImproperlyConfigured(f"{name}: {part.strip()!r} — не адрес и не сеть") from None
    return out


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
    "ninja",  # local Swagger UI assets for /api/docs (no CDN)
    "shnor.web.registry",
    "shnor.web.assessments",
    "shnor.web.identification",
    "django_tasks",
    "django_tasks_db",
    "shnor.web.jobs",
    "shnor.web.accounts",
    "shnor.web.api",
    "shnor.web.support",
    "shnor.web.diagnostics",
    "shnor.web.cases",
    "shnor.web.practices",
    "shnor.web.resources",
    "shnor.web.evaluation",
    "shnor.web.events",
    "shnor.web.monitoring",
    "shnor.web.glossary",
    "shnor.web.submissions",
    "shnor.web.regionconf",
    "shnor.web.interviews",
    "shnor.web.councils",
]

MIDDLEWARE = [
    # first: every log line and error page of a request has its id
    "shnor.web.request_log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shnor.web.security.SecurityHeadersMiddleware",  # Permissions-Policy; no-store for signed-in users
    "csp.middleware.CSPMiddleware",
    "shnor.web.accounts.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shnor.web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shnor.web.accounts.context_processors.role",
            ]
        },
    }
]
WSGI_APPLICATION = "shnor.web.wsgi.application"

#: SQLite's connection options (the default database, no ``DATABASE_URL``).
#: - WAL journal: readers and the one writer no longer block each other (with the rollback journal a long
#:   read — a country-wide list — held off the logins' session writes until «database is locked»); the mode
#:   is stored in the file, so an existing database switches on its next connection. A WAL database is
#:   three files (``shnor.sqlite3``, ``-wal``, ``-shm``): copy it with ``shnor backup`` (one read
#:   transaction, ``web/backup.py``), never the main file alone while the server runs.
#: - 16 KB pages for a new database (set before WAL, which fixes the page size): a school's evidence (tens
#:   of KB of JSON) takes one or a few pages instead of a chain of 4 KB ones (faster to store a country
#:   year's objectivity outcomes, ``scripts/bench_store.py``); no effect on an existing file.
#: - ``BEGIN IMMEDIATE`` for every transaction: a writer takes the write lock at once and waits for it up to
#:   ``timeout`` seconds, instead of failing at its first write when another writer got there first.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL",
}

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
            "OPTIONS": SQLITE_OPTIONS,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "ru"
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise scans it at start-up (filled by collectstatic)
STATICFILES_DIRS = [Path(__file__).resolve().parent / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",  # shnor/*, vendor/plotly.min.js (no CDN)
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
# `shnor serve` collects into STATIC_ROOT: names with a content hash, gzip and Brotli copies; WhiteNoise
# serves those compressed and «immutable» (browsers keep them for good: a changed file gets a new name).
# and its web server names those (SHNOR_STATIC_COLLECTED); elsewhere (tests, runserver) plain names,
# served from the finders (shnor/web/staticfinders.py)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "shnor.web.staticfinders.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True  # files not collected (yet) are served straight from the finders
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # plain names come from the finders: half the compression work
# hashed names: «max-age=315360000, immutable» (WhiteNoise's own test); plain names: WHITENOISE_MAX_AGE's
# default (60 s, 0 with DEBUG), since their content changes in place

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Login throttling (accounts.services): waits per login and address, a soft wait per login, a rate limit
# per address; nothing a stranger does from another address keeps a user out for longer than a minute
LOGIN_MAX_FAILURES = _int("SHNOR_LOGIN_MAX_FAILURES", 5)
LOGIN_DELAY_MAX_SECONDS = _int("SHNOR_LOGIN_DELAY_MAX_SECONDS", 300)
LOGIN_ACCOUNT_FAILURES = _int("SHNOR_LOGIN_ACCOUNT_FAILURES", 10)
LOGIN_IP_MAX_FAILURES = _int("SHNOR_LOGIN_IP_MAX_FAILURES", 30)
LOGIN_WINDOW_MINUTES = _int("SHNOR_LOGIN_WINDOW_MINUTES", 15)
TRUSTED_PROXIES = _networks("SHNOR_TRUSTED_PROXIES")
UPLOAD_MAX_MB = _int("SHNOR_UPLOAD_MAX_MB", 200)
UPLOAD_KEEP_HOURS = _int("SHNOR_UPLOAD_KEEP_HOURS", 72)
REPORT_KEEP_DAYS = _int("SHNOR_REPORT_KEEP_DAYS", 30)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Letters (invitations, password resets): SMTP when SHNOR_EMAIL_HOST is set, else files in SHNOR_HOME/mail
EMAIL_HOST = os.environ.get("SHNOR_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = _int("SHNOR_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("SHNOR_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("SHNOR_EMAIL_PASSWORD", "")
    EMAIL_USE_SSL = _bool("SHNOR_EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = _bool("SHNOR_EMAIL_USE_TLS", not EMAIL_USE_SSL)
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfigured("SHNOR_EMAIL_USE_TLS и SHNOR_EMAIL_USE_SSL не включаются вместе")
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = HOME / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("SHNOR_EMAIL_FROM", "ШНОР <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[ШНОР] "


def _admins(name: str) -> list[tuple[str, str]]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    out = [(n.strip(), a.strip()) for n, a in getaddresses([raw])]
    bad = [a for _, a in out if "@" not in a]
    if bad or not out:
        raise ImproperlyConfigured(f"{name}: ожидается «Имя <адрес@почта>, …», не разобрано: {raw!r}")
    return out


# Logging: records with the request id to stderr and SHNOR_HOME/logs/shnor.log;
# server errors by e-mail to ADMINS
ADMINS = _admins("SHNOR_ADMINS")
LOG_LEVEL = os.environ.get("SHNOR_LOG_LEVEL", "WARNING").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(
        f"SHNOR_LOG_LEVEL: ожидается DEBUG, INFO, WARNING или ERROR, получено {LOG_LEVEL!r}"
    )
LOGGING = logging_config(home=HOME, level=LOG_LEVEL, mail_admins=bool(ADMINS))
SITE_URL = os.environ.get("SHNOR_SITE_URL", "").rstrip("/")
INVITATION_DAYS = _int("SHNOR_INVITATION_DAYS", 7)
PASSWORD_RESET_TIMEOUT = _int("SHNOR_PASSWORD_RESET_HOURS", 24) * 3600
PASSWORD_RESET_PER_HOUR = _int("SHNOR_PASSWORD_RESET_PER_HOUR", 5)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# HTTPS (a TLS reverse proxy in front, docs/deployment.md): `manage.py check --deploy` is clean with it
HTTPS = _bool("SHNOR_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS or _bool("SHNOR_SECURE_COOKIES", False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = _int("SHNOR_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _bool("SHNOR_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # preload is the domain owner's decision (a submission to the browsers' lists), not a default
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if TRUSTED_PROXIES:
        # only a trusted proxy's word counts; nginx sets the header itself (deploy/nginx-shnor.conf)
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from this site, no inline script, no eval. Styles
# may be inline: Plotly.js writes its stylesheet into <style> elements and sets style attributes at run
# time, and templates use a few style attributes (bar widths); CSS cannot run script, and templates
# escape what users wrote, so the script policy is what stops injected code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],  # Plotly's «download as PNG» and Swagger UI's icons
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

# Background jobs (imports, methodology runs): django-tasks with its database backend; `shnor worker`
# runs them (and `shnor serve` starts a worker beside the web server).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
