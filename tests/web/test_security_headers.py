"""Security headers (CSP without inline script, Permissions-Policy, no-store for signed-in users), no
inline script or event handler in any template, and `check --deploy` clean with SHNOR_HTTPS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.web.world import PASSWORD

WEB = Path(__file__).resolve().parents[2] / "src" / "shnor" / "web"


def _csp(response) -> dict[str, list[str]]:
    out = {}
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_pages_carry_a_strict_script_policy(world) -> None:
    client = Client()
    pages = [client.get("/accounts/login/")]
    client.post("/accounts/login/", {"username": "u_region", "password": PASSWORD})
    pages += [client.get(url) for url in (f"/regions/{world.region.pk}/", "/schools/sch0001/", "/api/docs")]
    for r in pages:
        url = r.wsgi_request.path
        assert r.status_code == 200, url
        policy = _csp(r)
        assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-eval'" not in r["Content-Security-Policy"]
        assert "camera=()" in r["Permissions-Policy"]
        assert "geolocation=()" in r["Permissions-Policy"]


def test_no_store_for_signed_in_users_only(world) -> None:
    anonymous = Client()
    r = anonymous.get("/accounts/password/reset/")
    assert "no-store" not in r.get("Cache-Control", "")
    client = Client()
    client.post("/accounts/login/", {"username": "u_region", "password": PASSWORD})
    for url in ("/schools/", "/schools/sch0001/", "/api/me", "/lists/low_results/export.xlsx"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "no-store" in r["Cache-Control"], url
        assert "private" in r["Cache-Control"], url
    # static files are not the user's data: cacheable, no no-store (whitenoise answers before)
    css = client.get("/static/shnor/style.css")
    assert css.status_code == 200
    assert "no-store" not in css.get("Cache-Control", "")


def test_no_inline_script_or_event_handler_in_templates() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    bad = []
    for path in WEB.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for rx in (inline_script, handler, re.compile(r"javascript:", re.I)):
            bad += [f"{path.relative_to(WEB)}: {m.group(0)}" for m in rx.finditer(text)]
    assert not bad


def test_https_behind_a_trusted_proxy(world, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    r = client.get("/accounts/login/")
    assert r.status_code == 301
    assert r["Location"].startswith("https://")
    r = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert r.status_code == 200
    assert r["Strict-Transport-Security"].startswith("max-age=31536000")


def _deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SHNOR_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env |= {"SHNOR_HOME": str(tmp_path / "home"), "SHNOR_ALLOWED_HOSTS": "shnor.example.ru", **extra}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings",
            "shnor.web.settings",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_https(tmp_path) -> None:
    result = _deploy_check(tmp_path, SHNOR_HTTPS="1", SHNOR_TRUSTED_PROXIES="127.0.0.1,::1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stderr
    # without HTTPS the same check complains (the test above is not vacuous)
    plain = _deploy_check(tmp_path)
    assert plain.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in plain.stderr


@pytest.mark.parametrize(
    ("name", "value"), [("SHNOR_TRUSTED_PROXIES", "127.0.0.1,локалхост"), ("SHNOR_HTTPS", "может")]
)
def test_bad_security_settings_fail_loudly(tmp_path, name, value) -> None:
    result = _deploy_check(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr
