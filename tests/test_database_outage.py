"""The database goes away under a running server: a clear page, nothing committed lost, and recovery.

PostgreSQL only. The app runs as deployed (gunicorn, DEBUG off, persistent connections with health
checks) and reaches PostgreSQL through a TCP proxy the test can cut: cutting it kills the open
connection under the worker, as a database restart or a network break does, and refuses new ones.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory
from django.utils import timezone

from planner.models import Measurement, Patient
from planner.views.errors import server_error
from tests.factories import PASSWORD
from tests.live import Browser, CuttableProxy, Gunicorn

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the outage test cuts a PostgreSQL connection (DATABASE_URL=postgres://)"
)


@pytest.fixture
def server(committed_db: None, collected_static: Path) -> object:
    settings = connection.settings_dict
    proxy = CuttableProxy(int(settings["PORT"] or 5432))
    user = settings["USER"] or "postgres"
    gunicorn = Gunicorn(f"postgres://{user}@127.0.0.1:{proxy.port}/{settings['NAME']}", collected_static)
    yield gunicorn, proxy
    gunicorn.stop()
    proxy.close()


@postgresql_only
def test_an_outage_is_a_clear_page_keeps_what_was_saved_and_passes(
    server: tuple, real_password_hashing: None, patient: Patient, physician: User
) -> None:
    gunicorn, proxy = server
    nurse = Browser(gunicorn.url)
    nurse.login("physician", PASSWORD)
    page = f"/patients/{patient.pk}/"
    assert nurse.get(page)[0] == 200
    saved = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "57.3"}
    assert nurse.post(f"/patients/{patient.pk}/measurements/new/", saved)[0] == 302

    proxy.cut()
    status, body, headers = nurse.get(page)
    assert status == 503, body[:500]
    assert "database is not answering" in body
    assert "Everything saved before this moment is kept" in body
    assert headers.get("Retry-After") == "30"
    assert "Traceback" not in body and "psycopg" not in body  # no internals shown
    during = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "99"}
    assert nurse.post(f"/patients/{patient.pk}/measurements/new/", during)[0] == 503

    proxy.restore()
    status, body, _ = nurse.get(page)  # the same worker, the same session: it reconnects by itself
    assert status == 200
    assert "57.3" in body
    assert Measurement.objects.filter(patient=patient, weight_kg="57.3").count() == 1
    assert not Measurement.objects.filter(weight_kg="99").exists()  # nothing half-saved
    assert patient.mrn not in gunicorn.output()  # the log names no patient


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        (OperationalError("connection refused"), 503, "database is not answering"),
        (InterfaceError("connection already closed"), 503, "database is not answering"),
        (ZeroDivisionError("a bug"), 500, "Something went wrong on our side"),
    ],
)
def test_the_error_page_tells_an_outage_from_a_bug(error: Exception, status: int, says: str) -> None:
    request = RequestFactory().get("/patients/1/")
    try:
        raise error
    except Exception:
        response = server_error(request)
    assert response.status_code == status
    assert says in response.content.decode()
