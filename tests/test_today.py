"""Issue 14: the blood bank's day, and a calendar that opens on today and prints the day it shows.

The reproduction: the blood bank landed on the patient list; the calendar opened on the week and
"Print Mon (PDF)" printed an empty Monday; nothing totalled the day's albumin vials, plasma units by
ABO group and saline, or showed issued against ordered.
"""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner import plans
from planner.models import Course, Patient, Procedure, Product
from tests.conftest import logged_in
from tests.factories import make_measured_patient
from tests.workflow import booked, next_monday, signed

ALBUMIN_20 = "Human albumin 20 % 10 g/50 mL"
PLASMA_UNIT = "Fresh frozen plasma 100 mL unit"
SALINE_BAG = "Sodium chloride 0.9 % 500 mL bag"
HALF_PLASMA = {"albumin_fraction": "0.5", "plasma_fraction": "0.5", "fluid_override_reason": "Bleeding risk"}


def _today_page(user: User, day: date) -> object:
    return logged_in(user).get(reverse("today"), {"on": day.isoformat()})


def _totals(response: object) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (line.product, line.group): (line.ordered, line.issued, line.outstanding) for line in response.context["totals"]
    }


def test_the_blood_bank_lands_on_today_and_the_nurse_on_patients(bloodbank: User, nurse: User) -> None:
    assert logged_in(bloodbank).get(reverse("home"))["Location"] == reverse("today")
    assert logged_in(nurse).get(reverse("home"))["Location"] == reverse("patient-list")


def test_the_day_lists_what_to_prepare_with_totals_and_issued_against_ordered(
    patient: Patient, physician: User, bloodbank: User
) -> None:
    course = signed(physician, patient, sessions_count="3")
    first = course.procedures.get(number=1)
    day = timezone.localtime(first.starts_at).date()
    page = _today_page(bloodbank, day)
    assert page.status_code == 200
    (session,) = page.context["sessions"]
    # The signed order's session 1: the products by name (never "Albumin vials"), vials and the
    # saline bags the albumin is diluted with.
    replacement = plans.order_for(course).plan.rounded["replacement"]
    vials, bags = replacement["albumin_vials"], replacement["saline_bags"]
    assert [(line.product, line.ordered, line.issued) for line in session.lines] == [
        (ALBUMIN_20, vials, 0),
        (SALINE_BAG, bags, 0),
    ]
    assert _totals(page) == {(ALBUMIN_20, ""): (vials, 0, vials), (SALINE_BAG, ""): (bags, 0, bags)}
    product = Product.objects.get(name=ALBUMIN_20)
    logged_in(bloodbank).post(
        reverse("issued-product-create", args=[first.pk]), {"product": product.pk, "lot_number": "A1", "quantity": "6"}
    )
    assert _totals(_today_page(bloodbank, day))[(ALBUMIN_20, "")] == (vials, 6, vials - 6)
    html = page.content.decode()
    assert f'href="{reverse("day-batch-pdf")}?on={day.isoformat()}"' in html
    assert ALBUMIN_20 in html


def test_plasma_is_totalled_by_the_group_to_prepare(unit: None, physician: User, bloodbank: User) -> None:
    """Each patient's own group; AB while a patient's group is not known."""
    for mrn, abo in (("P-A", "A"), ("P-O", "O"), ("P-UNKNOWN", "")):
        patient = make_measured_patient(by=physician, mrn=mrn, family_name=mrn, abo_group=abo)
        signed(physician, patient, sessions_count="1", **HALF_PLASMA)
    day = next_monday()
    totals = _totals(_today_page(bloodbank, day))
    groups = {
        group: ordered for (product, group), (ordered, _issued, _left) in totals.items() if product == PLASMA_UNIT
    }
    assert set(groups) == {"A", "O", "AB"}
    assert all(units > 0 for units in groups.values())


def test_a_draft_on_the_day_is_shown_but_not_prepared(patient: Patient, physician: User, bloodbank: User) -> None:
    draft = booked(physician, patient, sessions_count="1")
    assert draft.status == Course.Status.DRAFT
    day = timezone.localtime(draft.procedures.get().starts_at).date()
    page = _today_page(bloodbank, day)
    (session,) = page.context["sessions"]
    assert session.problem == "Not signed: nothing to prepare yet."
    assert page.context["totals"] == []


def test_the_day_reads_a_bounded_number_of_queries(
    unit: None, physician: User, bloodbank: User, django_assert_max_num_queries: object
) -> None:
    for n in range(4):
        patient = make_measured_patient(by=physician, mrn=f"Q-{n}", family_name=f"Q{n}")
        signed(physician, patient, sessions_count="1")
    client = logged_in(bloodbank)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("today"), {"on": next_monday().isoformat()})
    assert len(page.context["sessions"]) == 4


def test_the_calendar_opens_on_today_and_prints_the_day_it_shows(nurse: User) -> None:
    page = logged_in(nurse).get(reverse("calendar"))
    today = timezone.localdate()
    assert (page.context["view"], page.context["first"]) == ("day", today)
    assert f"{reverse('day-batch-pdf')}?on={today.isoformat()}" in page.content.decode()
    week = logged_in(nurse).get(reverse("calendar"), {"view": "week", "on": today.isoformat()}).content.decode()
    # The week prints each of its days from that day's row, never only its Monday.
    for offset in range(7):
        day = page.context["first"].fromordinal(today.toordinal() - today.weekday() + offset)
        assert f"{reverse('day-batch-pdf')}?on={day.isoformat()}" in week


@pytest.mark.parametrize("role_user", ["physician", "nurse", "reviewer"])
def test_every_viewer_may_open_the_day(role_user: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(role_user)
    assert logged_in(user).get(reverse("today")).status_code == 200


def test_a_cancelled_session_is_not_on_the_day(patient: Patient, physician: User, bloodbank: User, nurse: User) -> None:
    """A cancelled session is not on the blood bank's day."""
    course = signed(physician, patient, sessions_count="1")
    session = course.procedures.get()
    logged_in(nurse).post(reverse("procedure-cancel", args=[session.pk]), {"reason": "Fever"})
    assert Procedure.objects.get(pk=session.pk).status == Procedure.Status.CANCELLED
    assert _today_page(bloodbank, timezone.localtime(session.starts_at).date()).context["sessions"] == []
