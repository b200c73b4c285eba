"""Signed means frozen: what a physician signs is what every later page and printout shows.

Sign a course, then change the device, the products and the unit's settings: the course page,
the printed order, the issue slip, the bedside record's planned column and the review export
read exactly as before, while a draft follows the catalogue. What may change after signing
(bookings, that day's fibrinogen) changes beside the frozen plan, never in it.
"""

import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner import plans, submissions
from planner.models import Course, Device, Indication, Patient, Product, SessionRecord
from tests.conftest import logged_in
from tests.factories import make_measurement
from tests.workflow import booked, create, form_data, sign, signed

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")


def _page(client: object, name: str, pk: int) -> str:
    body = client.get(reverse(name, args=[pk])).content.decode()
    # What may differ between two readings: fresh CSRF and one-time form tokens, and the blank
    # forms' "taken at" that defaults to the current minute (a minute may pass between readings).
    body = re.sub(rf'name="(csrfmiddlewaretoken|{submissions.FIELD})" value="[^"]+"', "", body)
    return re.sub(r'(name="[\w-]*taken_at" value=")\d{4}-\d\d-\d\d \d\d:\d\d"', r'\1<now>"', body)


def _pdf_text(client: object, name: str, pk: int) -> str:
    pdf = client.get(reverse(name, args=[pk])).content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    # The print time is the only line allowed to differ.
    return re.sub(r"Printed \d{4}-\d\d-\d\d \d\d:\d\d", "Printed <time>", text)


def _export(reviewer_client: object, record: SessionRecord) -> list[dict[str, str]]:
    response = reviewer_client.post(
        reverse("admin:planner_sessionrecord_changelist"),
        {"action": "export_csv", "_selected_action": [record.pk]},
    )
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _change_everything(settings: object) -> None:
    """What the review did: device efficiency 0.60, calcium 20 mL/L; and more besides."""
    Device.objects.filter(name="Spectra Optia 1").update(
        plasma_removal_efficiency=Decimal("0.60"), ecv_typical_ml=160, default_inlet_ac_ratio=Decimal("12")
    )
    Product.objects.filter(kind="albumin", is_default=True).update(package_volume_ml=100)
    Product.objects.filter(kind="plasma", is_default=True).update(package_volume_ml=200)
    settings.CALCIUM_GLUCONATE_ML_PER_L = 20
    settings.FIBRINOGEN_TRIGGER_G_PER_L = 1.5
    settings.FIBRINOGEN_RECOVERY_TAU_HOURS = 48
    settings.TARGET_ALBUMIN_PERCENT = 4
    settings.DEFAULT_INLET_FLOW_ML_PER_MIN = 45


@pytest.fixture
def order(patient: Patient, physician: User) -> Course:
    """Pemphigus, 5 × 1.0 plasma volume every other day, the last third plasma after a biopsy."""
    return signed(
        physician,
        patient,
        albumin_fraction="0.667",
        plasma_fraction="0.333",
        procedure_within_48h="on",
    )


@needs_pdftotext
def test_a_signed_order_reads_the_same_after_the_catalogue_and_settings_change(
    order: Course, physician: User, nurse: User, reviewer: User, settings: object
) -> None:
    assert order.status == Course.Status.SIGNED
    first = order.procedures.order_by("number").first()
    reviewer.is_staff = True  # reviewers review in the administration
    reviewer.save()
    client, reviewer_client = logged_in(nurse), logged_in(reviewer)
    record = SessionRecord.objects.create(procedure=first, recorded_by=nurse, plasma_removed_ml=2100)
    before = {
        "course page": _page(client, "course-detail", order.pk),
        "order": _pdf_text(client, "course-order-pdf", order.pk),
        "slip": _pdf_text(client, "procedure-slip-pdf", first.pk),
        "bedside": _page(client, "procedure-record", first.pk),
        "export": _export(reviewer_client, record),
    }
    assert "Whole blood processed" in before["order"] and "Course projection" in before["order"]
    assert before["export"][0]["planned_exchange_ml"] == str(order.frozen_plan and _frozen(order)["exchange_volume_ml"])

    _change_everything(settings)
    after = {
        "course page": _page(client, "course-detail", order.pk),
        "order": _pdf_text(client, "course-order-pdf", order.pk),
        "slip": _pdf_text(client, "procedure-slip-pdf", first.pk),
        "bedside": _page(client, "procedure-record", first.pk),
        "export": _export(reviewer_client, record),
    }
    for reader, shown in before.items():
        assert after[reader] == shown, f"the {reader} changed after signing"

    # The same changes do reach a draft: the numbers above were held, not merely unaffected.
    create(physician, order.patient, albumin_fraction="0.667", plasma_fraction="0.333", procedure_within_48h="on")
    draft = Course.objects.filter(status=Course.Status.DRAFT).get()
    live, frozen = plans.live_plan(draft), plans.order_for(order).plan
    assert live.exchange_volume_ml == frozen.exchange_volume_ml
    assert live.numbers.whole_blood_processed_ml == pytest.approx(frozen.numbers.whole_blood_processed_ml * 0.87 / 0.60)
    assert live.numbers.calcium_gluconate_ml == pytest.approx(2 * frozen.numbers.calcium_gluconate_ml)


def _frozen(course: Course) -> dict:
    return plans.order_for(course).plan.rounded


def test_the_frozen_plan_holds_every_input_catalogue_value_setting_and_result(order: Course) -> None:
    stored = order.frozen_plan
    assert stored["format"] == 2
    request, policy = stored["plan"]["request"], stored["plan"]["policy"]
    assert (request["weight_kg"], request["height_cm"], request["haematocrit"]) == (58.0, 158.0, 0.38)
    assert request["device"] == {
        "name": "Spectra Optia 1",
        "ecv_typical_ml": 141,
        "ecv_max_ml": 185,
        "plasma_removal_efficiency": 0.87,
        "inlet_ac_ratio": 10.0,
        "inlet_flow_ml_per_min": 60.0,
    }
    assert request["products"] == {
        "albumin_percent": 20.0,
        "albumin_vial_ml": 50,
        "plasma_unit_ml": 100,
        "saline_bag_ml": 500,
        "target_albumin_percent": 5.0,
    }
    assert (policy["calcium_ml_per_litre"], policy["fibrinogen_trigger_g_per_l"]) == (10.0, 1.0)
    assert policy["fibrinogen"] == {"depletion_k": 1.0, "recovery_tau_hours": 116.0}
    assert [reason["text"] for reason in stored["plan"]["proposal"]["reasons"]][1].startswith("Surgery or a biopsy")
    catalogue = stored["catalogue"]
    assert catalogue["device"]["plasma_removal_efficiency"] == "0.87"
    assert catalogue["products"]["albumin"]["name"] == "Human albumin 20 % 10 g/50 mL"
    assert (catalogue["indication"]["disease"], catalogue["indication"]["replacement_policy"]) == (
        "Pemphigus vulgaris",
        "albumin",
    )
    booked_starts = [p.starts_at for p in order.procedures.order_by("number")]
    assert stored["session_starts"] == [start.isoformat() for start in booked_starts]
    hours = stored["plan"]["request"]["session_hours"]
    assert hours[0] == 0 and len(hours) == 5
    # The inputs keep the time each value was measured.
    assert set(order.inputs) >= {"weight_kg", "height_cm", "haematocrit", "fibrinogen_g_per_l"}
    assert all("taken_at" in item for name, item in order.inputs.items() if name != "marker")
    assert stored["inputs"] == order.inputs


def test_the_sign_button_signs_only_the_numbers_its_page_showed(patient: Patient, physician: User) -> None:
    course = booked(physician, patient)
    client = logged_in(physician)
    page = client.get(reverse("course-detail", args=[course.pk])).content.decode()
    digest = re.search(r'name="plan_digest" value="([0-9a-f]+)"', page).group(1)
    Device.objects.filter(name="Spectra Optia 1").update(plasma_removal_efficiency=Decimal("0.80"))
    response = client.post(reverse("course-sign", args=[course.pk]), {"plan_digest": digest}, follow=True)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT and course.frozen_plan is None
    assert "The numbers changed after this page was opened" in response.content.decode()
    sign(client, course)
    course.refresh_from_db()
    assert course.status == Course.Status.SIGNED
    assert course.frozen_plan["plan"]["request"]["device"]["plasma_removal_efficiency"] == 0.80


def test_a_moved_session_shows_a_reprojection_beside_the_frozen_one(order: Course, nurse: User) -> None:
    second = order.procedures.get(number=2)
    frozen = dict(order.frozen_plan)
    client = logged_in(nurse)
    page = client.get(reverse("course-detail", args=[order.pk])).content.decode()
    assert 'data-plan="reprojected"' not in page
    later = timezone.localtime(second.starts_at + timedelta(days=1)).replace(tzinfo=None)
    client.post(
        reverse("procedure-move", args=[second.pk]),
        {"device": second.device.pk, "starts_at": later.strftime("%Y-%m-%dT%H:%M"), "reason": "Patient's request"},
    )
    second.refresh_from_db()
    assert second.starts_at != order.procedures.get(number=2).course.frozen_plan["session_starts"][1]
    page = client.get(reverse("course-detail", args=[order.pk])).content.decode()
    assert 'data-plan="reprojected"' in page
    assert "Course projection, as signed" in page
    order.refresh_from_db()
    assert order.frozen_plan == frozen


def test_a_session_moves_only_to_a_device_with_the_signed_values(order: Course, nurse: User) -> None:
    second = order.procedures.get(number=2)
    twin = Device.objects.create(
        name="Spectra Optia 2",
        kind="centrifugal",
        model="Spectra Optia",
        ecv_typical_ml=141,
        ecv_max_ml=185,
        plasma_removal_efficiency=Decimal("0.870"),
        default_inlet_ac_ratio=Decimal("10.0"),
    )
    membrane = Device.objects.get(name="Membrane separator 1")
    client = logged_in(nurse)
    when = timezone.localtime(second.starts_at).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(
        reverse("procedure-move", args=[second.pk]), {"device": membrane.pk, "starts_at": when, "reason": "Optia down"}
    )
    assert "has other values than the device this order was signed for" in refused.content.decode()
    second.refresh_from_db()
    assert second.device.name == "Spectra Optia 1"
    client.post(
        reverse("procedure-move", args=[second.pk]), {"device": twin.pk, "starts_at": when, "reason": "Optia 1 down"}
    )
    second.refresh_from_db()
    assert second.device == twin


def test_that_days_fibrinogen_replans_with_the_orders_own_trigger_and_products(
    patient: Patient, physician: User, nurse: User, settings: object
) -> None:
    course = signed(physician, patient)
    third = course.procedures.get(number=3)
    settings.FIBRINOGEN_TRIGGER_G_PER_L = 1.5  # a later setting: the signed order's trigger stays 1.0
    Product.objects.filter(kind="plasma", is_default=True).update(package_volume_ml=250)
    logged_in(nurse).post(reverse("procedure-fibrinogen", args=[third.pk]), {"fibrinogen_g_per_l": "1.2"})
    third.refresh_from_db()
    assert (third.fluid_plan["plasma_fraction"], third.fluid_plan["differs_from_order"]) == (0.0, False)
    logged_in(nurse).post(reverse("procedure-fibrinogen", args=[third.pk]), {"fibrinogen_g_per_l": "0.8"})
    third.refresh_from_db()
    plan = third.fluid_plan
    assert (plan["plasma_fraction"], plan["differs_from_order"]) == (0.333, True)
    # Units from the order's 100 mL plasma product, not today's 250 mL: ⌈exchange / 3 / 100⌉.
    exchange = plans.order_for(course).plan.exchange_volume_ml
    assert plan["replacement"]["plasma_units"] == -(-round(exchange / 3) // 100)
    assert third.history.count() >= 3  # each re-plan is a change to the session, with who and when


def test_a_cancelled_draft_keeps_the_numbers_it_had(patient: Patient, physician: User, settings: object) -> None:
    create(physician, patient)
    draft = Course.objects.get()
    logged_in(physician).post(reverse("course-cancel", args=[draft.pk]), {"reason": "Patient declined"})
    draft.refresh_from_db()
    duration = _frozen(draft)["duration_min"]
    settings.DEFAULT_INLET_FLOW_ML_PER_MIN = 30
    assert _frozen(draft)["duration_min"] == duration


def test_an_order_signed_before_plans_were_stored_says_its_numbers_are_computed_now(order: Course) -> None:
    legacy = Course.objects.get(pk=order.pk)
    legacy.frozen_plan = None  # as migrated from before freezing existed (never saved: the database refuses)
    shown = plans.order_for(legacy)
    assert (shown.is_frozen, shown.is_legacy) == (False, True)


def test_the_course_history_shows_each_fields_before_and_after_in_local_time(order: Course, settings: object) -> None:
    root = User.objects.create_superuser(username="root", password="x")
    page = logged_in(root).get(reverse("admin:planner_course_history", args=[order.pk])).content.decode()
    signed_at = timezone.localtime(order.signed_at).strftime("%Y-%m-%d %H:%M")
    assert signed_at in page and "CST" in page
    assert re.search(r"Status:</strong>\s*draft\s*&nbsp;&rarr;&nbsp;&nbsp;signed", page)
    assert re.search(r"Plan as signed:</strong>\s*—\s*&nbsp;&rarr;&nbsp;&nbsp;stored \(format 2\)", page)


def test_that_days_normal_fibrinogen_never_takes_away_plasma_that_was_signed(
    patient: Patient, physician: User, nurse: User
) -> None:
    course = signed(
        physician, patient, albumin_fraction="0", plasma_fraction="1", fluid_override_reason="Recent haemorrhage"
    )
    second = course.procedures.get(number=2)
    logged_in(nurse).post(reverse("procedure-fibrinogen", args=[second.pk]), {"fibrinogen_g_per_l": "2.5"})
    second.refresh_from_db()
    assert (second.fluid_plan["plasma_fraction"], second.fluid_plan["differs_from_order"]) == (1.0, False)
    assert second.fluid_plan["reasons"][0]["text"].endswith("the fluids as signed.")


def test_a_session_already_recorded_takes_no_fibrinogen_re_plan(order: Course, nurse: User) -> None:
    first = order.procedures.get(number=1)
    SessionRecord.objects.create(procedure=first, recorded_by=nurse, started_at=first.starts_at)
    response = logged_in(nurse).post(
        reverse("procedure-fibrinogen", args=[first.pk]), {"fibrinogen_g_per_l": "0.6"}, follow=True
    )
    first.refresh_from_db()
    assert first.fluid_plan == {}
    assert "has started or been recorded" in response.content.decode()


def test_sessions_keep_their_numbers_when_one_is_cancelled_or_moved_before_another(order: Course, nurse: User) -> None:
    client = logged_in(nurse)
    second, third = order.procedures.get(number=2), order.procedures.get(number=3)
    client.post(reverse("procedure-cancel", args=[second.pk]), {"reason": "Unwell"})
    earlier = timezone.localtime(order.procedures.get(number=1).starts_at + timedelta(hours=4)).replace(tzinfo=None)
    client.post(
        reverse("procedure-move", args=[third.pk]),
        {"device": third.device.pk, "starts_at": earlier.strftime("%Y-%m-%dT%H:%M"), "reason": "Swap"},
    )
    response = client.get(reverse("course-detail", args=[order.pk]))
    assert response.status_code == 200
    reprojected = plans.reprojection(order, plans.order_for(order))
    assert [s.number for s in reprojected.course.sessions] == [1, 3, 4, 5]


def test_an_amendment_is_computed_on_the_sessions_it_takes_over(patient: Patient, physician: User, nurse: User) -> None:
    make_measurement(
        patient=patient, by=physician, taken_at=timezone.now() - timedelta(hours=1), fibrinogen_g_per_l=Decimal("3.0")
    )
    first = signed(physician, patient, pattern="daily")
    client = logged_in(physician)
    for number in (1, 2):
        client.post(reverse("procedure-cancel", args=[first.procedures.get(number=number).pk]), {"reason": "Fever"})
    client.post(
        reverse("course-amend", args=[first.pk]),
        form_data(pattern="daily", sessions_count="3", amendment_reason="Fever: fewer sessions"),
    )
    amendment = Course.objects.get(previous=first)
    sign(client, amendment)
    amendment.refresh_from_db()
    assert amendment.status == Course.Status.SIGNED
    plan = plans.order_for(amendment).plan
    assert plan.request.session_numbers == (3, 4, 5)
    # Sessions 3, 4, 5 are the amendment's first three: daily from 3.0 g/L, its third (number 5) is low.
    assert [f.number for f in plan.session_fluids] == [5]
    assert set(amendment.procedures.values_list("number", flat=True)) == {3, 4, 5}


def test_signing_refuses_a_session_booked_on_a_device_with_other_values(
    patient: Patient, physician: User, nurse: User
) -> None:
    course = booked(physician, patient)
    second = course.procedures.get(number=2)
    membrane = Device.objects.get(name="Membrane separator 1")
    when = timezone.localtime(second.starts_at).strftime("%Y-%m-%dT%H:%M")
    logged_in(nurse).post(
        reverse("procedure-move", args=[second.pk]), {"device": membrane.pk, "starts_at": when, "reason": "Optia down"}
    )
    second.refresh_from_db()
    assert second.device == membrane  # a draft may be rebooked freely
    client = logged_in(physician)
    response = sign(client, course)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert "Session 2 is booked on Membrane separator 1" in client.get(response.url).content.decode()


def test_signing_refuses_a_draft_whose_proposal_changed_without_a_reason(patient: Patient, physician: User) -> None:
    course = booked(physician, patient)
    Indication.objects.filter(pk=course.indication_id).update(replacement_policy="plasma_required")
    client = logged_in(physician)
    response = sign(client, course)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    page = client.get(response.url).content.decode()
    assert "The fluid proposal has changed since the draft was saved" in page


def test_the_signed_proposal_and_its_reasons_are_what_the_page_shows(order: Course, nurse: User) -> None:
    Indication.objects.filter(pk=order.indication_id).update(replacement_policy="plasma_required")
    page = logged_in(nurse).get(reverse("course-detail", args=[order.pk])).content.decode()
    assert "ASFA&#x27;s usual replacement for this indication is albumin." in page
    assert "all plasma" not in page


def test_a_cancelled_draft_says_so_not_that_it_was_signed(patient: Patient, physician: User) -> None:
    create(physician, patient)
    draft = Course.objects.get()
    logged_in(physician).post(reverse("course-cancel", args=[draft.pk]), {"reason": "Patient declined"})
    page = logged_in(physician).get(reverse("course-detail", args=[draft.pk])).content.decode()
    assert "Cancelled before it was signed" in page
    assert "The order as signed" not in page


def test_an_order_signed_before_plans_were_stored_is_never_given_plasma_it_was_not_signed_with(
    patient: Patient, physician: User
) -> None:
    make_measurement(
        patient=patient, by=physician, taken_at=timezone.now() - timedelta(hours=1), fibrinogen_g_per_l=Decimal("3.0")
    )
    course = signed(physician, patient, pattern="daily")
    assert plans.order_for(course).plan.session_fluids  # as signed today: plasma for sessions 3-5
    legacy = Course.objects.get(pk=course.pk)
    legacy.frozen_plan = None  # as migrated from before freezing existed (never saved: the database refuses)
    assert plans.order_for(legacy).plan.session_fluids == ()
