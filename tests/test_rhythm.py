"""Issue 14: booking keeps the course's rhythm, on an equivalent device before another day.

The reproduction: with Spectra Optia 1 partly booked, an every-other-day course got a five-day gap
and then two days in a row, while another device was free and never offered; moving a session never
checked the interval.
"""

import html
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from planner import booking
from planner.models import Course, Device, Patient, Procedure
from tests.conftest import logged_in
from tests.factories import make_course, make_patient
from tests.workflow import create, next_monday, pemphigus

OPTIA = "Spectra Optia 1"


def _block_all_day(device: Device, day: object, by: User) -> None:
    """Another patient's long session fills the device's opening hours that day."""
    other = make_patient(by=by, mrn="OTHER-1", family_name="Other")
    course = make_course(patient=other, indication=pemphigus(), device=device, by=by, first_on=day)
    start = timezone.make_aware(datetime.combine(day, time(7, 0)))
    Procedure.objects.create(
        course=course, number=1, device=device, starts_at=start, ends_at=start + timedelta(hours=12), updated_by=by
    )


def _second_optia() -> Device:
    """An identical Optia: an order computed on one is the same on the other."""
    values = model_to_dict(Device.objects.get(name=OPTIA), exclude=["id"])
    return Device.objects.create(**{**values, "name": "Spectra Optia 2"})


@pytest.fixture
def draft(patient: Patient, physician: User) -> Course:
    create(physician, patient, sessions_count="3", pattern="every_other_day", first_on=next_monday().isoformat())
    return Course.objects.get(patient=patient)


def test_an_identical_device_keeps_the_prescribed_day(draft: Course, physician: User) -> None:
    wednesday = next_monday() + timedelta(days=2)
    _block_all_day(Device.objects.get(name=OPTIA), wednesday, physician)
    spare = _second_optia()
    proposals = booking.propose(draft)
    assert [(timezone.localtime(p.starts_at).date(), p.device) for p in proposals] == [
        (next_monday(), draft.device),
        (wednesday, spare),
        (next_monday() + timedelta(days=4), draft.device),
    ]
    page = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert 'data-code="gap_too' not in page


def test_when_every_identical_device_is_full_the_physician_sees_the_rhythm_before_booking(
    draft: Course, physician: User
) -> None:
    wednesday = next_monday() + timedelta(days=2)
    _block_all_day(Device.objects.get(name=OPTIA), wednesday, physician)
    proposals = booking.propose(draft)
    days = [timezone.localtime(p.starts_at).date() for p in proposals]
    assert days == [next_monday(), wednesday + timedelta(days=1), wednesday + timedelta(days=2)]
    page = html.unescape(logged_in(physician).get(reverse("course-detail", args=[draft.pk])).content.decode())
    assert "Sessions 2 and 3 are only 1 d apart; the course prescribes 2 d." in page
    # The membrane separator was free that Wednesday: it has other values, so it needs an amendment.
    assert (
        f"Membrane separator 1 free on {wednesday:%Y-%m-%d}, but with other values than the order's device: "
        "using it needs an amendment."
    ) in page


def test_moving_a_session_warns_when_it_breaks_the_rhythm(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    second = draft.procedures.get(number=2)
    later = (timezone.localtime(second.starts_at) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in(nurse).post(
        reverse("procedure-move", args=[second.pk]),
        {"device": second.device_id, "starts_at": later, "reason": "Patient's request"},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Session moved.", "Sessions 2 and 3 are only 1 d apart; the course prescribes 2 d."]
    page = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert 'data-code="gap_too_short"' in page
