import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from planner import db_guards, roles, standard_catalogue
from planner.catalogue import load_indications
from planner.demo import DEMO_DEVICES, DEMO_PRODUCTS
from planner.idle_sessions import REFRESHED_KEY
from planner.models import AdsorptionColumn, Course, Device, Fractionator, Patient, Procedure, Product
from planner.standard_catalogue import STANDARD_COLUMNS, STANDARD_FRACTIONATORS
from tests.factories import make_measured_patient, make_user


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
    """A client logged in as `user` mid-shift: its session was refreshed just now, so the next requests
    within SESSION_REFRESH_SECONDS write no session (planner/idle_sessions.py)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[REFRESHED_KEY] = int(time.time())
    session.save()
    return client


@pytest.fixture
def unit(db: None) -> None:
    load_indications()
    for values in DEMO_DEVICES:
        Device.objects.create(**values)
    for values in DEMO_PRODUCTS:
        Product.objects.create(**values)
    # DFPP fractionators, IA columns and the modalities ASFA lists (clinical-reference-modalities.md §1–§2).
    for model, rows in ((Fractionator, STANDARD_FRACTIONATORS), (AdsorptionColumn, STANDARD_COLUMNS)):
        for values in rows:
            model.objects.create(**values)
    standard_catalogue._standard_modalities()
    standard_catalogue.standard_stop_criteria()


@pytest.fixture
def patient(unit: None, physician: User) -> Patient:
    return make_measured_patient(by=physician, sex="female", family_name="王", given_name="秀英")


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """Real commits (a live server, threads), emptied afterwards despite the database's guards.

    pytest-django empties the tables with `flush`, which on SQLite deletes row by row, and the
    guards rightly refuse to delete a signed course or a reviewed record. So: lift them, flush,
    put them back, before pytest-django's own flush finds nothing left to do.
    """
    yield
    guards = [
        (db_guards.remove_booking_guard, db_guards.install_booking_guard),
        (db_guards.remove_course_guard, db_guards.install_course_guard),
        (db_guards.remove_review_guard, db_guards.install_review_guard),
        (db_guards.remove_append_only_guard, db_guards.install_append_only_guard),
        (db_guards.remove_report_guard, db_guards.install_report_guard),
    ]
    with connection.schema_editor() as editor:
        for remove, _install in guards:
            remove(global_apps, editor)
    call_command("flush", interactive=False, verbosity=0)
    with connection.schema_editor() as editor:
        for _remove, install in guards:
            install(global_apps, editor)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic once per run, for the app served as in production (DEBUG off, WhiteNoise manifest)."""
    root = tmp_path_factory.mktemp("live") / "static"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "SECRET_KEY": "collectstatic", "STATIC_ROOT": str(root)},
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture
def real_password_hashing(settings: object) -> None:
    """Users a separate server process logs in as need a hasher that process knows."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def procedure(patient: Patient, physician: User) -> Procedure:
    """The first of two sessions of a signed, booked, albumin-only course (tests.workflow)."""
    from tests.workflow import create, sign  # tests.workflow imports this module

    create(physician, patient, sessions_count="2")
    course = Course.objects.get()
    client = logged_in(physician)
    client.post(reverse("course-book", args=[course.pk]))
    sign(client, course)
    return course.procedures.order_by("number").first()
