"""Logins are throttled and idle sessions end."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

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


def test_each_request_pushes_the_idle_timeout_forward(nurse: User) -> None:
    client = Client()
    login(client, "nurse", PASSWORD)
    response = client.get("/patients/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


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
    assert client.get("/patients/").cookies["sessionid"]["max-age"] == minutes * 60
