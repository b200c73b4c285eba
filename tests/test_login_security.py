"""Logins are throttled and idle sessions end."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from planner.idle_sessions import REFRESHED_KEY
from tests.factories import PASSWORD


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_repeated_wrong_passwords_lock_that_username_on_that_computer(nurse: User, physician: User) -> None:
    client = Client()
    for _ in range(4):
        assert login(client, "nurse", "wrong-password").status_code == 200
    assert login(client, "nurse", "wrong-password").status_code == 429  # the fifth failure locks
    locked = login(client, "nurse", PASSWORD)  # and then even the right password is refused
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "Try again in 15 minutes" in locked.content.decode()
    # A colleague at the same computer is not locked out by someone else's typing.
    assert login(Client(), "physician", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(nurse: User) -> None:
    client = Client()
    for _ in range(4):
        login(client, "nurse", "wrong-password")
    assert login(client, "nurse", PASSWORD).status_code == 302
    for _ in range(4):
        login(Client(), "nurse", "wrong-password")
    assert login(Client(), "nurse", PASSWORD).status_code == 302


def _age_the_refresh(client: Client, seconds: int) -> None:
    """Move the session's last refresh `seconds` into the past, as if the user had been idle that long."""
    session = client.session
    session[REFRESHED_KEY] -= seconds
    session.save()


def test_a_request_after_the_refresh_interval_pushes_the_idle_timeout_forward(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    _age_the_refresh(client, 61)
    before = Session.objects.get().expire_date
    response = client.get("/patients/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60
    after = Session.objects.get().expire_date
    assert after > before
    assert abs((after - timezone.now()).total_seconds() - 30 * 60) < 5


def test_requests_within_the_refresh_interval_write_no_session(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    client.get("/patients/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/patients/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    writes = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert not [sql for sql in writes if "django_session" in sql]


def test_the_idle_timeout_is_never_longer_than_the_setting(nurse: User) -> None:
    """Whatever the requests, the expiry is at most SESSION_COOKIE_AGE after the last one."""
    client = Client()
    login(client, "nurse", PASSWORD)
    for _ in range(3):
        client.get("/patients/")
        expiry = Session.objects.get().expire_date
        assert expiry <= timezone.now() + timedelta(seconds=30 * 60)
        # ... and at most one refresh interval short of it.
        assert expiry >= timezone.now() + timedelta(seconds=30 * 60 - 61)


def test_an_anonymous_visitor_with_an_expired_cookie_gets_no_session_row(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    client.get("/patients/")
    client.get("/accounts/login/")
    assert not Session.objects.exists()


def test_logging_out_leaves_no_session(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.exists()


def test_an_idle_session_has_ended(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("minutes", [5, 60])
def test_the_idle_timeout_is_a_setting(nurse: User, settings: object, minutes: int) -> None:
    settings.SESSION_COOKIE_AGE = minutes * 60
    client = Client()
    login(client, "nurse", PASSWORD)
    _age_the_refresh(client, minutes * 60 // 2)
    assert client.get("/patients/").cookies["sessionid"]["max-age"] == minutes * 60
