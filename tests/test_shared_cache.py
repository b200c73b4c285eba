"""What one worker serves, every worker serves: nothing cached in one process outlives a change made in another.

PostgreSQL only (two processes need one database they both see). The app runs as deployed, gunicorn
with two worker processes; this test process is a third, and makes each change through the database,
as another worker, the admin or a script would. The next request shows the change, whichever worker
answers: a revoked role refuses at once, an edited catalogue row reads as edited, a new measurement is
on the chart (charts are the one thing kept across requests, in the shared cache, by their content).
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from planner.models import Course, Indication, Patient
from tests.factories import PASSWORD, make_measurement
from tests.live import Browser, Gunicorn
from tests.workflow import pemphigus, signed

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two server processes share one database: DATABASE_URL=postgres://"
)
TRIES = 6  # requests per check: with two workers, both answer some of them


@pytest.fixture
def two_workers(committed_db: None, collected_static: Path) -> Gunicorn:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    server = Gunicorn(
        f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}",
        collected_static,
        workers=2,
    )
    yield server
    server.stop()


def _all(browser: Browser, path: str) -> list[tuple[int, str]]:
    return [browser.get(path)[:2] for _ in range(TRIES)]


def _chart(body: str) -> str:
    return body[body.index("<svg") : body.index("</svg>")] if "<svg" in body else ""


@postgresql_only
def test_changes_made_elsewhere_take_effect_at_once_in_every_worker(
    two_workers: Gunicorn, real_password_hashing: None, patient: Patient, physician: User, nurse: User
) -> None:
    course: Course = signed(physician, patient)
    page = reverse("course-detail", args=[course.pk])
    browser = Browser(two_workers.url)
    browser.login("nurse", PASSWORD)
    before = _all(browser, page)
    assert all(status == 200 and _chart(body) for status, body in before)
    assert not any(">0.87<" in _chart(body) for _status, body in before)

    # A measurement entered elsewhere: the chart (kept in the shared cache) shows it on the next request.
    first = course.procedures.order_by("number").first()
    make_measurement(
        patient=patient, by=physician, taken_at=first.starts_at + timedelta(hours=3), fibrinogen_g_per_l=Decimal("0.87")
    )
    assert all(status == 200 and ">0.87<" in _chart(body) for status, body in _all(browser, page))

    # A catalogue row edited elsewhere.
    indication = pemphigus()
    Indication.objects.filter(pk=indication.pk).update(course_notes="Edited in another process: 5 exchanges.")
    detail = reverse("indication-detail", args=[indication.pk])
    assert all(status == 200 and "Edited in another process" in body for status, body in _all(browser, detail))

    # A role revoked elsewhere: refused at once, by every worker, with the same session.
    nurse.groups.clear()
    assert all(status == 403 for status, _body in _all(browser, page))
