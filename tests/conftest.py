import pytest
from django.contrib.auth.models import User
from django.test import Client

from planner import roles
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: object) -> None:
    # Production uses WhiteNoise's manifest, which needs collectstatic first; tests render without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # PBKDF2's deliberate slowness is for attackers, not for creating test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_roles(db: None) -> None:
    roles.setup_roles()


@pytest.fixture
def physician(staff_roles: None) -> User:
    return make_user(username="physician", role=roles.PHYSICIAN)


@pytest.fixture
def nurse(staff_roles: None) -> User:
    return make_user(username="nurse", role=roles.NURSE)


@pytest.fixture
def bloodbank(staff_roles: None) -> User:
    return make_user(username="bloodbank", role=roles.BLOOD_BANK)


@pytest.fixture
def reviewer(staff_roles: None) -> User:
    return make_user(username="reviewer", role=roles.REVIEWER)


@pytest.fixture
def no_role(staff_roles: None) -> User:
    """Logged in but in no group: may see nothing."""
    return make_user(username="norole")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
