"""Login throttling that a stranger cannot turn into a lock-out: a rate limit per address, waits per login
and address, a soft wait (≤ 1 min) per login that spares browsers the user has logged in from; the
client address from X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.test import Client, RequestFactory
from django.utils import timezone

from shnor.web.accounts.middleware import client_ip
from shnor.web.accounts.models import AuditEntry, LoginFailure
from shnor.web.accounts.services import ACCOUNT_DELAY_MAX_SECONDS, login_throttle_check
from tests.web.world import PASSWORD

LOGIN = "/accounts/login/"
IP_LIMITED = "Слишком много неудачных попыток входа с вашего адреса"
SOFT_WAIT = "Под этим именем недавно было много неудачных попыток входа"


def _earlier(seconds: float) -> None:
    back = dt.timedelta(seconds=seconds)
    LoginFailure.objects.update(last_failure_at=F("last_failure_at") - back, last_at=F("last_at") - back)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_strangers_50_failures_do_not_keep_the_user_out(world, settings) -> None:
    assert settings.LOGIN_IP_MAX_FAILURES == 30  # the defaults
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    texts = []
    for _ in range(50):
        r = stranger.post(LOGIN, {"username": "u_school", "password": "подбор"})
        assert r.status_code == 200
        texts.append(r.content.decode())
    assert "Неверное имя пользователя или пароль" in texts[0]
    assert any("Слишком много неудачных попыток входа. Повторите через" in t for t in texts)
    # the stranger's address is rate-limited, in Russian, whatever password it tries next
    assert IP_LIMITED in texts[-1]
    assert "Повторите через 15 мин." in texts[-1]
    r = stranger.post(LOGIN, {"username": "u_school", "password": PASSWORD})
    assert IP_LIMITED in r.content.decode()
    assert not _logged_in(stranger)
    # ...and for other usernames too
    assert IP_LIMITED in stranger.post(LOGIN, {"username": "u_region", "password": PASSWORD}).content.decode()
    # the user, from their own address and a browser that never logged in before, is not held up
    user = Client(REMOTE_ADDR="198.51.100.10")
    assert user.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302
    assert _logged_in(user)
    # the throttling is in the audit log: the address's limit once, the waits of the pair once
    limits = AuditEntry.objects.filter(action="ограничение входа", ip="203.0.113.66")
    assert sorted(e.changes["причина"] for e in limits) == [
        "адрес исчерпал попытки входа",
        "задержки для логина с этого адреса",
    ]
    # a password check happened only for the failures before the waits, not for every attempt
    assert AuditEntry.objects.filter(action="неудачный вход", ip="203.0.113.66").count() < 10


def test_failures_from_many_addresses_only_slow_new_browsers_for_a_minute(world, settings) -> None:
    settings.LOGIN_ACCOUNT_FAILURES = 10
    # the user's own browser has logged in before
    mine = Client(REMOTE_ADDR="198.51.100.10")
    assert mine.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302
    mine.post("/accounts/logout/")
    assert not _logged_in(mine)
    # strangers from 40 addresses, one guess each
    refused = 0
    for k in range(40):
        r = Client(REMOTE_ADDR=f"203.0.113.{k + 1}").post(
            LOGIN, {"username": "u_school", "password": f"подбор{k}"}
        )
        refused += SOFT_WAIT in r.content.decode()
    assert refused >= 25  # after 10 wrong passwords the rest waited instead of guessing
    reasons = [e.changes["причина"] for e in AuditEntry.objects.filter(action="ограничение входа")]
    assert reasons.count("мягкая задержка для логина") == 1
    # the user's browser logs in at once
    assert mine.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302
    # a browser that has never logged in as this user waits, but never more than a minute
    new = Client(REMOTE_ADDR="198.51.100.20")
    r = new.post(LOGIN, {"username": "u_school", "password": PASSWORD})
    assert SOFT_WAIT in r.content.decode()
    assert not _logged_in(new)
    throttle = login_throttle_check(username="u_school", ip="198.51.100.20")
    assert throttle is not None
    assert throttle.reason == "account"
    assert throttle.seconds <= ACCOUNT_DELAY_MAX_SECONDS
    _earlier(ACCOUNT_DELAY_MAX_SECONDS)
    assert new.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302


def test_the_soft_wait_never_exceeds_a_minute(world) -> None:
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(
            username="u_school", ip=f"10.9.{k // 250}.{k % 250}", failures=3, last_failure_at=now, last_at=now
        )
        for k in range(1000)
    )
    throttle = login_throttle_check(username="u_school", ip="198.51.100.30")
    assert throttle is not None
    assert throttle.reason == "account"
    assert 55 <= throttle.seconds <= 60
    assert any(f"Подождите {w} и повторите" in throttle.message for w in ("1 мин", "59 с", "58 с"))
    assert login_throttle_check(username="u_school", ip="198.51.100.30", known=True) is None


def test_x_forwarded_for_of_an_untrusted_peer_is_ignored(world, settings) -> None:
    settings.TRUSTED_PROXIES = []
    settings.LOGIN_IP_MAX_FAILURES = 5
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    for k in range(8):  # a new "address" in the header every time does not help
        r = stranger.post(
            LOGIN, {"username": f"x{k}", "password": "подбор"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{k}"
        )
    assert IP_LIMITED in r.content.decode()
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.66"}


def test_behind_a_trusted_proxy_each_client_is_counted_apart(world, settings) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]
    settings.LOGIN_IP_MAX_FAILURES = 5
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for k in range(6):
        r = proxy.post(LOGIN, {"username": f"x{k}", "password": "подбор"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert IP_LIMITED in r.content.decode()
    # another client through the same proxy logs in; the audit log has its own address
    r = proxy.post(
        LOGIN, {"username": "u_school", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.10"
    )
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="вход").latest("at").ip == "198.51.100.10"
    assert AuditEntry.objects.filter(action="неудачный вход", ip="203.0.113.9").exists()


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "", "127.0.0.1"),
        # the client's own header (left) is not believed past the first untrusted hop
        ("127.0.0.1", "1.1.1.1, 203.0.113.5", "203.0.113.5"),
        # trusted hops (a second proxy inside 10/8) are skipped
        ("127.0.0.1", "1.1.1.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        ("10.1.2.3", " 203.0.113.5 ,10.0.0.2", "203.0.113.5"),
        # garbage the client wrote is skipped over only where a trusted proxy appended after it
        ("127.0.0.1", "garbage, 203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, garbage", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.7, 10.0.0.2", "10.0.0.7"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        # not from a proxy: the header is ignored
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),
        ("10.1.2.3x", "203.0.113.5", "10.1.2.3x"),
    ],
)
def test_client_ip_behind_trusted_proxies(settings, remote, forwarded, expected) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)
    assert client_ip(request) == expected


def test_no_trusted_proxies_means_remote_addr(settings) -> None:
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "127.0.0.1"
