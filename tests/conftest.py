from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from planner import roles
from planner.catalogue import load_indications
from planner.demo import DEMO_DEVICES, DEMO_PRODUCTS
from planner.models import Device, Patient, Product
from tests.factories import make_measurement, make_patient, make_user


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


@pytest.fixture
def unit(db: None) -> None:
    load_indications()
    for values in DEMO_DEVICES:
        Device.objects.create(**values)
    for values in DEMO_PRODUCTS:
        Product.objects.create(**values)


@pytest.fixture
def patient(unit: None, physician: User) -> Patient:
    patient = make_patient(by=physician, sex="female", family_name="王", given_name="秀英")
    make_measurement(
        patient=patient,
        by=physician,
        taken_at=timezone.now() - timedelta(days=1),
        weight_kg=Decimal("58"),
        height_cm=Decimal("158"),
        haematocrit=Decimal("0.380"),
        fibrinogen_g_per_l=Decimal("2.9"),
    )
    return patient
