"""Helpers for tests that walk the course workflow through the test client."""

import re
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from planner.models import Course, Device, Indication, Patient
from tests.conftest import logged_in


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def pemphigus() -> Indication:
    return Indication.objects.get(disease="Pemphigus vulgaris")


def form_data(**changes: object) -> dict[str, object]:
    return {
        "indication": pemphigus().pk,
        "urgency": "routine",
        "prescription": "plasma_volumes",
        "plasma_volumes": "1.0",
        "method": "nadler",
        "build": "",
        "albumin_fraction": "1",
        "plasma_fraction": "0",
        "saline_fraction": "0",
        "fluid_override_reason": "",
        "sessions_count": "5",
        "pattern": "every_other_day",
        "every_n_days": "2",
        "weekdays": "",
        "first_on": next_monday().isoformat(),
        "device": Device.objects.get(name="Spectra Optia 1").pk,
        "vascular_access": "peripheral",
        "anticoagulant": "acd_a",
        "inlet_ac_ratio": "",
        "calcium_prophylaxis": "on",
        "plasma_for_low_fibrinogen": "on",
        "notes": "",
    } | changes


def create(user: User, patient: Patient, **changes: object):
    return logged_in(user).post(reverse("course-create", args=[patient.pk]), form_data(**changes))


def booked(user: User, patient: Patient, **changes: object) -> Course:
    """A draft course, created and booked through the pages."""
    create(user, patient, **changes)
    course = Course.objects.filter(patient=patient).latest("pk")
    logged_in(user).post(reverse("course-book", args=[course.pk]))
    return course


def sign(client: Client, course: Course) -> HttpResponse:
    """Press Sign as a physician does: on the course's page, which carries the fingerprint of the numbers shown."""
    page = client.get(reverse("course-detail", args=[course.pk])).content.decode()
    found = re.search(r'name="plan_digest" value="([0-9a-f]+)"', page)
    return client.post(reverse("course-sign", args=[course.pk]), {"plan_digest": found.group(1) if found else ""})


def signed(user: User, patient: Patient, **changes: object) -> Course:
    """A course created, booked and signed through the pages."""
    course = booked(user, patient, **changes)
    sign(logged_in(user), course)
    course.refresh_from_db()
    return course
