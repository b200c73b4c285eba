"""The course workflow in the browser: prescribe, fluid proposal, book, sign, amend, cancel; calendar and feed."""

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner.models import Course, Device, Indication, Patient
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import create, form_data, next_monday, pemphigus, sign


def test_the_indication_prefills_the_course(patient: Patient, physician: User) -> None:
    url = reverse("course-create", args=[patient.pk]) + f"?indication={pemphigus().pk}"
    form = logged_in(physician).get(url).context["form"]
    assert (form["pattern"].value(), form["sessions_count"].value()) == ("every_other_day", 5)
    assert form["plasma_volumes"].value() == Decimal("1.0")


def test_a_physician_prescribes_a_draft_with_its_inputs_and_the_fluid_reasons(
    patient: Patient, physician: User
) -> None:
    response = create(physician, patient)
    course = Course.objects.get()
    assert response.status_code == 302
    assert course.status == Course.Status.DRAFT
    assert course.inputs["weight_kg"]["value"] == "58.00"
    assert "taken_at" in course.inputs["haematocrit"]
    assert course.fluid_proposal["choice"] == "albumin"
    # Stored with its template, so the order shows it in whichever language it is read in.
    assert {"text": "ASFA's usual replacement for this indication is albumin.", "params": {}} in course.fluid_proposal[
        "reasons"
    ]
    assert course.estimated_duration_min > 0
    assert course.label == f"order {course.pk}"


def test_overriding_the_proposal_needs_a_reason(patient: Patient, physician: User) -> None:
    mixed = {"albumin_fraction": "0.667", "plasma_fraction": "0.333"}
    refused = create(physician, patient, **mixed)
    assert "give the reason for overriding it" in refused.content.decode()
    assert not Course.objects.exists()
    create(physician, patient, **mixed, fluid_override_reason="Biopsy planned on day 2")
    assert Course.objects.get().fluid_override_reason == "Biopsy planned on day 2"


def test_a_patient_without_weight_height_and_haematocrit_cannot_be_ordered_for(unit: None, physician: User) -> None:
    bare = make_patient(by=physician, mrn="BARE-1")
    body = create(physician, bare).content.decode()
    assert "Record the patient&#x27;s weight kg, height cm, haematocrit before ordering" in body
    assert not Course.objects.exists()


def test_the_live_panel_shows_the_proposal_and_numbers(patient: Patient, physician: User) -> None:
    ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic")
    response = logged_in(physician).post(
        reverse("course-create", args=[patient.pk]), form_data(indication=ttp.pk), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "The indication&#x27;s replacement is plasma (ASFA): all plasma." in body
    assert "Total blood volume" in body
    assert not Course.objects.exists()


def test_applying_the_proposal_fills_the_shares_without_saving(patient: Patient, physician: User) -> None:
    response = create(physician, patient, procedure_within_48h="on", apply_proposal="1")
    form = response.context["form"]
    assert (form["albumin_fraction"].value(), form["plasma_fraction"].value()) == ("0.667", "0.333")
    assert not Course.objects.exists()
    create(physician, patient, procedure_within_48h="on", albumin_fraction="0.667", plasma_fraction="0.333")
    assert Course.objects.get().fluid_proposal["choice"] == "albumin_plasma_last"


def test_a_new_course_starts_from_the_proposal_and_the_unit_defaults(patient: Patient, physician: User) -> None:
    url = reverse("course-create", args=[patient.pk]) + f"?indication={pemphigus().pk}"
    form = logged_in(physician).get(url).context["form"]
    assert form["albumin_fraction"].value() == "1.000"
    assert form["device"].value() == Device.objects.get(name="Spectra Optia 1").pk
    assert form["vascular_access"].value() == "peripheral"


def test_a_nurse_cannot_prescribe(patient: Patient, nurse: User) -> None:
    assert create(nurse, patient).status_code == 403


@pytest.fixture
def draft(patient: Patient, physician: User) -> Course:
    create(physician, patient)
    return Course.objects.get()


def test_booking_follows_the_proposal_and_is_not_repeated(draft: Course, physician: User) -> None:
    client = logged_in(physician)
    page = client.get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert "Book these sessions" in page
    client.post(reverse("course-book", args=[draft.pk]))
    client.post(reverse("course-book", args=[draft.pk]))
    dates = [timezone.localtime(p.starts_at).date() for p in draft.procedures.order_by("number")]
    monday = next_monday()
    assert dates == [monday, monday + timedelta(2), monday + timedelta(4), monday + timedelta(7), monday + timedelta(9)]


def test_only_a_physician_signs_and_a_signed_course_is_not_edited(draft: Course, physician: User, nurse: User) -> None:
    assert sign(logged_in(nurse), draft).status_code == 403
    sign(logged_in(physician), draft)
    draft.refresh_from_db()
    assert (draft.status, draft.signed_by) == (Course.Status.SIGNED, physician)
    response = logged_in(physician).get(reverse("course-update", args=[draft.pk]), follow=True)
    assert "A signed course cannot be edited: amend it instead." in response.content.decode()


def test_an_amendment_is_a_new_version_that_replaces_the_old_when_signed(draft: Course, physician: User) -> None:
    client = logged_in(physician)
    client.post(reverse("course-book", args=[draft.pk]))
    sign(client, draft)
    amend_url = reverse("course-amend", args=[draft.pk])
    refused = client.post(amend_url, form_data(plasma_volumes="1.5"))
    assert "This field is required." in refused.content.decode()
    client.post(amend_url, form_data(plasma_volumes="1.5", amendment_reason="Slow response after 2 sessions"))
    amendment = Course.objects.get(previous=draft)
    assert (amendment.version, amendment.order_number, amendment.status) == (2, draft.pk, "draft")
    assert amendment.label == f"amendment 1 of order {draft.pk}"
    sign(client, amendment)
    draft.refresh_from_db()
    assert draft.status == Course.Status.SUPERSEDED
    assert amendment.procedures.count() == 5
    old_page = client.get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert f"Replaced by amendment 1 of order {draft.pk}." in old_page


def test_the_order_shows_its_inputs_in_local_time(draft: Course, physician: User) -> None:
    taken_at = timezone.localtime(draft.patient.measurements.get().taken_at)
    body = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert f'Weight <strong>58 kg</strong> <span class="text-body-secondary">({taken_at:%Y-%m-%d %H:%M})' in body


def test_a_signed_order_keeps_its_numbers_when_a_new_lab_arrives(draft: Course, physician: User) -> None:
    before = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).context["plan"].as_dict()
    make_measurement(patient=draft.patient, by=physician, weight_kg=Decimal("80"))
    after = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).context["plan"].as_dict()
    assert after["total_blood_volume_ml"] == before["total_blood_volume_ml"]


def test_cancelling_needs_a_reason_and_frees_the_bookings(draft: Course, physician: User) -> None:
    client = logged_in(physician)
    client.post(reverse("course-book", args=[draft.pk]))
    client.post(reverse("course-cancel", args=[draft.pk]), {"reason": ""})
    draft.refresh_from_db()
    assert draft.status == Course.Status.DRAFT
    client.post(reverse("course-cancel", args=[draft.pk]), {"reason": "Patient transferred"})
    draft.refresh_from_db()
    assert (draft.status, draft.cancelled_by) == (Course.Status.CANCELLED, physician)
    assert set(draft.procedures.values_list("status", flat=True)) == {"cancelled"}


def test_moving_onto_a_booked_slot_is_refused_with_a_clear_message(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    first, second = draft.procedures.order_by("number")[:2]
    onto = timezone.localtime(first.starts_at).strftime("%Y-%m-%dT%H:%M")
    response = logged_in(nurse).post(
        reverse("procedure-move", args=[second.pk]), {"device": first.device_id, "starts_at": onto, "reason": "earlier"}
    )
    assert "is already booked from" in response.content.decode()
    later = (timezone.localtime(second.starts_at) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    moved = logged_in(nurse).post(
        reverse("procedure-move", args=[second.pk]),
        {"device": second.device_id, "starts_at": later, "reason": "Patient's request"},
    )
    assert moved.status_code == 302
    second.refresh_from_db()
    assert second.change_reason == "Patient's request"


def test_cancelling_a_session_needs_a_reason(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    session = draft.procedures.first()
    logged_in(nurse).post(reverse("procedure-cancel", args=[session.pk]), {"reason": "Fever 39 °C"})
    session.refresh_from_db()
    assert (session.status, session.change_reason) == ("cancelled", "Fever 39 °C")


def test_the_nurse_sees_the_week_on_the_calendar(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    body = logged_in(nurse).get(reverse("calendar"), {"on": next_monday().isoformat(), "view": "week"}).content.decode()
    assert body.count("王秀英") == 3  # Monday, Wednesday, Friday of that week
    day = logged_in(nurse).get(reverse("calendar"), {"on": next_monday().isoformat(), "view": "day"}).content
    assert day.decode().count("王秀英") == 1


def test_the_ics_feed_lists_sessions_without_patient_names(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    response = logged_in(nurse).get(reverse("calendar-ics"))
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert text.count("BEGIN:VEVENT") == 5
    assert f"SUMMARY:TPE order {draft.pk} session 1" in text
    assert "王" not in text and draft.patient.mrn not in text


def test_calendar_and_course_pages_are_bounded(
    patient: Patient, physician: User, django_assert_max_num_queries: Callable
) -> None:
    client = logged_in(physician)
    for _ in range(3):
        create(physician, patient, first_on=next_monday().isoformat())
    for course in Course.objects.all():
        client.post(reverse("course-book", args=[course.pk]))
    with django_assert_max_num_queries(12):
        calendar = client.get(reverse("calendar"), {"on": next_monday().isoformat(), "view": "week"})
    # Three courses booked from the same Monday: the week shows a link to each of them.
    body = calendar.content.decode()
    assert all(reverse("course-detail", args=[course.pk]) in body for course in Course.objects.all())
    course = Course.objects.first()
    with django_assert_max_num_queries(25):
        page = client.get(reverse("course-detail", args=[course.pk]))
    # Its five booked sessions, each with its bedside record link.
    assert len(re.findall(r'href="/procedures/\d+/record/"', page.content.decode())) == 5


def test_that_days_fibrinogen_reruns_the_rule_for_that_session_only(
    draft: Course, physician: User, nurse: User
) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    third, fourth = draft.procedures.order_by("number")[2:4]
    response = logged_in(nurse).post(
        reverse("procedure-fibrinogen", args=[third.pk]), {"fibrinogen_g_per_l": "0.8"}, follow=True
    )
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.fluid_plan["plasma_fraction"] == 0.333
    assert third.fluid_plan["differs_from_order"] is True
    assert "Fibrinogen 0.8 g/L is below the 1 g/L trigger: last third plasma." in response.content.decode()
    assert fourth.fluid_plan == {}
    draft.refresh_from_db()
    assert draft.plasma_fraction == 0
    assert draft.patient.latest_measurements()["fibrinogen_g_per_l"].value == Decimal("0.8")


def test_an_impossible_fibrinogen_is_refused(draft: Course, physician: User, nurse: User) -> None:
    logged_in(physician).post(reverse("course-book", args=[draft.pk]))
    session = draft.procedures.first()
    response = logged_in(nurse).post(
        reverse("procedure-fibrinogen", args=[session.pk]), {"fibrinogen_g_per_l": "80"}, follow=True
    )
    assert "Enter a value between 0 and 20 g/L." in response.content.decode()
    session.refresh_from_db()
    assert session.fluid_plan == {}
