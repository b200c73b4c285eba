"""Issue 16, parts 1–2: double filtration (DFPP) and immunoadsorption (IA), from the catalogue to the bedside.

Worked examples, clinical-reference-modalities.md §1–§2, on Example A (male, 175 cm, 70 kg, Hct 0.40,
Nadler TPV 2894.3 mL):
- DFPP, EC-20W (IgG 0.10, albumin 0.40, returned), albumin 3.5 g/dL, 60 % IgG removal:
  V = −ln(0.4) / 0.90 × 2894.3 = 0.91629 / 0.9 × 2894.3 = 2946.7 mL (1.02 PV); albumin lost
  29.467 dL × 3.5 × 0.60 = 61.9 g -> 7 vials of 10 g; discard = replacement 589 mL at 20 %, a 10.5 % solution.
- IA, 2.5 PV = 7236 mL on a TR-350: capped at 2000 mL.
"""

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from planner import charts, plans, printing, standard_catalogue
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangeRequest
from planner.core.modalities import (
    DfppSettings,
    Fractionator,
    Modality,
)
from planner.models import Course, Device, Indication, IndicationModality, SessionRecord
from planner.models import Fractionator as FractionatorRow
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import booked, create, sign, signed

TPV_A = 2894.3
EC_20W = Fractionator("Cascadeflo EC-20W", sc_igg=0.10, sc_albumin=0.40)
EXAMPLE_A = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)
DFPP_A = replace(
    EXAMPLE_A, modality=Modality.DFPP, dfpp=DfppSettings(EC_20W, target_removal=0.60, albumin_g_per_dl=3.5)
)


# --- the engine against the reference ---------------------------------------------------------------


# --- the three doors -----------------------------------------------------------------------------------

DFPP_FORM = {
    "sex": "male",
    "weight_kg": 70,
    "height_cm": 175,
    "haematocrit": 0.40,
    "modality": "dfpp",
    "fractionator": "Cascadeflo EC-20W",
    "target_removal": 0.6,
    "albumin_g_per_dl": 3.5,
}


def test_the_calculator_shows_the_dfpp_arithmetic(unit: None, nurse: User) -> None:
    page = logged_in(nurse).post(reverse("calculator"), DFPP_FORM).content.decode()
    assert "−ln(1 − 0.6) ÷ 0.9 × 2894 mL" in page
    assert "29.47 dL × 3.5 g/dL × 0.6" in page and "61.9\u00a0g" in page
    assert "Discard = replacement" in page and "10.5\u00a0%" in page


def test_the_api_and_the_command_line_plan_dfpp_and_refuse_a_device_that_cannot(unit: None, nurse: User) -> None:
    url, client = reverse("api-exchange-plan"), logged_in(nurse)
    result = client.post(url, json.dumps(DFPP_FORM), content_type="application/json").json()
    assert result["dfpp"]["discard_ml"] == 589 and result["device"] == "Membrane separator 1"
    refused = client.post(url, json.dumps({**DFPP_FORM, "device": "Spectra Optia 1"}), content_type="application/json")
    assert refused.status_code == 400 and "does not run double filtration" in json.dumps(refused.json())
    missing = client.post(url, json.dumps({**DFPP_FORM, "fractionator": ""}), content_type="application/json")
    assert "Double filtration needs a fractionator." in json.dumps(missing.json())
    out = StringIO()
    call_command(
        "exchange_plan",
        "--sex=male",
        "--weight-kg=70",
        "--height-cm=175",
        "--haematocrit=0.40",
        "--modality=ia",
        "--column=Immusorba TR-350",
        "--plasma-volumes=2.5",
        stdout=out,
    )
    assert "IA on Immusorba TR-350: 7236 mL prescribed, 2000 mL processed" in out.getvalue()


# --- the catalogue -----------------------------------------------------------------------------------


def test_the_catalogue_loads_the_transcribed_modalities_once_and_never_brings_back_an_edited_row(unit: None) -> None:
    pemphigus = Indication.objects.get(disease="Pemphigus vulgaris")
    dfpp_row = pemphigus.modalities.get(modality="dfpp")
    assert (dfpp_row.category, dfpp_row.grade, dfpp_row.needs_checking) == ("III", "2C", True)
    dfpp_row.is_active = False
    dfpp_row.grade = "2B"
    dfpp_row.save()
    count = IndicationModality.objects.count()
    assert standard_catalogue._standard_modalities() == 0
    assert IndicationModality.objects.count() == count
    assert pemphigus.modalities.get(modality="dfpp").grade == "2B"


def test_the_database_refuses_a_fractionator_that_removes_no_igg(unit: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FractionatorRow.objects.create(
            name="Useless", sc_igg=1, sc_albumin=Decimal("0.5"), sieving="returned", source="test", evidence="derived"
        )


# --- a DFPP course for pemphigus, end to end ---------------------------------------------------------


def _pemphigus_patient(by: User, *, fibrinogen_hours_ago: float | None = None, fibrinogen: str = "2.5"):
    patient = make_patient(by=by, mrn="DFPP-1", sex="male")
    make_measurement(patient=patient, by=by, taken_at=timezone.now() - timedelta(days=1))
    if fibrinogen_hours_ago is not None:
        make_measurement(
            patient=patient,
            by=by,
            taken_at=timezone.now() - timedelta(hours=fibrinogen_hours_ago),
            fibrinogen_g_per_l=Decimal(fibrinogen),
        )
    return patient


def _dfpp(**changes: object) -> dict[str, object]:
    return {
        "modality": "dfpp",
        "fractionator": FractionatorRow.objects.get(name="Cascadeflo EC-20W").pk,
        "target_removal": "0.60",
        "albumin_g_per_dl": "3.5",
        "device": Device.objects.get(name="Membrane separator 1").pk,
        "anticoagulant": "heparin",
        "sessions_count": "2",
    } | changes


def test_a_dfpp_course_for_pemphigus_is_signed_frozen_and_printed(unit: None, physician: User) -> None:
    patient = _pemphigus_patient(physician)
    course = signed(physician, patient, **_dfpp())
    assert course.status == Course.Status.SIGNED, course
    order = printing.plans.order_for(course)
    assert order.plan.rounded["dfpp"]["discard_ml"] == 589
    assert (order.indication.asfa_category, order.indication.asfa_grade) == ("III", "2C")
    assert course.frozen_plan["catalogue"]["fractionator"]["sc_igg"] == "0.1"
    # The fractionator's values change later: the signed order does not.
    FractionatorRow.objects.filter(name="Cascadeflo EC-20W").update(sc_igg=Decimal("0.30"))
    course.refresh_from_db()
    assert printing.plans.order_for(course).plan.rounded["processed_plasma_ml"] == 2947
    page = logged_in(physician).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "Double filtration (DFPP)" in page and "2947 mL of plasma processed" in page
    assert "as transcribed; to verify against the guideline" in page
    if shutil.which("pdftotext"):
        pdf = printing.order_sheet_pdf(course)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        text = " ".join(text.split())
        assert "Double filtration plasmapheresis order" in text and "Double filtration (DFPP)" in text
        assert "Cascadeflo EC-20W" in text and "61.9 g in the 589 mL discard (10.5 %)" in text
        assert "category III, grade 2C" in text and "Discard = replacement" in text


def test_the_course_form_offers_dfpp_only_where_the_catalogue_does_and_on_a_device_that_runs_it(
    unit: None, physician: User
) -> None:
    patient = _pemphigus_patient(physician)
    ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic purpura")
    page = create(physician, patient, **_dfpp(indication=ttp.pk)).content.decode()
    # The form does not offer it for this indication; a crafted POST is refused.
    assert "Select a valid choice. dfpp is not one of the available choices." in page
    offered = create(physician, patient, indication=ttp.pk).context["form"].fields["modality"].choices
    assert [value for value, _label in offered] == ["tpe"]
    pemphigus = create(physician, patient, **_dfpp(fractionator="")).context["form"].fields["modality"].choices
    assert dict(pemphigus)["dfpp"] == "Double filtration (DFPP) — ASFA III/2C"
    optia = Device.objects.get(name="Spectra Optia 1").pk
    page = create(physician, patient, **_dfpp(device=optia, anticoagulant="acd_a")).content.decode()
    assert "Spectra Optia 1 does not run Double filtration (DFPP)." in page
    page = create(physician, patient, **_dfpp(fractionator="")).content.decode()
    assert "Needed for Double filtration (DFPP)." in page
    assert not Course.objects.filter(patient=patient).exists()


def test_the_database_holds_a_course_to_one_modality(unit: None, physician: User) -> None:
    patient = _pemphigus_patient(physician)
    course = booked(physician, patient)
    table = Course._meta.db_table
    for sql in (
        f"UPDATE {table} SET modality = 'dfpp' WHERE id = %s",
        f"UPDATE {table} SET modality = 'ia' WHERE id = %s",
        f"UPDATE {table} SET target_removal = 0.6 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [course.pk])


def _start(client, procedure) -> str:
    started = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    return client.post(
        reverse("procedure-record", args=[procedure.pk]),
        {
            "outcome": "in_progress",
            "started_at": started.strftime("%Y-%m-%d %H:%M"),
            "consent_confirmed": "on",
            "access_working": "on",
        },
    ).content.decode()


def test_a_dfpp_session_starts_only_on_a_fibrinogen_measured_before_it(
    unit: None, physician: User, nurse: User
) -> None:
    patient = _pemphigus_patient(physician)
    course = signed(physician, patient, **_dfpp())
    procedure = course.procedures.order_by("number").first()
    client = logged_in(nurse)
    page = client.get(reverse("procedure-record", args=[procedure.pk])).content.decode()
    assert "No fibrinogen measured in the 24 h before this DFPP session" in page
    refused = _start(client, procedure)
    assert "starts only on a fibrinogen measured in the 24 h before it" in refused
    assert not SessionRecord.objects.filter(procedure=procedure, started_at__isnull=False).exists()
    make_measurement(
        patient=patient, by=nurse, taken_at=timezone.now() - timedelta(hours=2), fibrinogen_g_per_l=Decimal("0.9")
    )
    page = client.get(reverse("procedure-record", args=[procedure.pk])).content.decode()
    assert "Fibrinogen before this DFPP session: 0.9 g/L" in page and "Under the 1 g/L trigger" in page
    started = _start(client, procedure)
    assert "starts only on a fibrinogen" not in started
    assert SessionRecord.objects.get(procedure=procedure).started_at is not None


def test_signing_checks_the_catalogue_again(unit: None, physician: User) -> None:
    """Withdrawn after the draft: the DFPP row of the indication, then the fractionator. Signing refuses."""
    patient = _pemphigus_patient(physician)
    course = booked(physician, patient, **_dfpp())
    row = IndicationModality.objects.get(indication=course.indication, modality="dfpp")
    row.is_active = False
    row.save()
    page = sign(logged_in(physician), course)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert "no longer offers Double filtration (DFPP)" in page.content.decode() or page.status_code == 302
    row.is_active = True
    row.save()
    FractionatorRow.objects.filter(pk=course.fractionator_id).update(is_active=False)
    sign(logged_in(physician), course)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_that_days_fibrinogen_keeps_a_dfpp_sessions_replacement_as_signed(unit: None, physician: User) -> None:
    """The session re-plan of TPE (plasma for a low fibrinogen, 5 % albumin) must not turn the DFPP
    discard's 7 vials into a 5 % solution's 3, nor add plasma: the order's doses and warning stand."""
    from planner import courses

    patient = _pemphigus_patient(physician)
    course = signed(physician, patient, **_dfpp())
    first = course.procedures.order_by("number").first()
    for value in ("2.4", "0.8"):
        replanned = courses.record_session_fibrinogen(first, Decimal(value), by=physician).fluid_plan
        assert replanned["replacement"]["albumin_vials"] == 7 and replanned["replacement"]["plasma_units"] == 0
        assert not replanned["differs_from_order"]


def test_the_catalogue_has_ia_for_dilated_cardiomyopathy(unit: None) -> None:
    row = IndicationModality.objects.get(indication__disease="Dilated cardiomyopathy, idiopathic", modality="ia")
    assert (row.category, row.grade) == ("II", "1B")


def test_a_course_form_without_a_device_is_refused_not_a_500(unit: None, physician: User) -> None:
    patient = _pemphigus_patient(physician)
    response = create(physician, patient, **_dfpp(device=""))
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_an_ia_session_records_plasma_without_a_500(unit: None, physician: User, nurse: User) -> None:
    from planner.models import AdsorptionColumn

    patient = make_patient(by=physician, mrn="IA-1", sex="male")
    make_measurement(patient=patient, by=physician)
    gbs = Indication.objects.get(disease="Guillain-Barre syndrome (AIDP)")
    course = signed(
        physician,
        patient,
        indication=gbs.pk,
        modality="ia",
        column=AdsorptionColumn.objects.get(name="Immusorba TR-350").pk,
        plasma_volumes="2.5",
        device=Device.objects.get(name="Membrane separator 1").pk,
        anticoagulant="heparin",
        sessions_count="1",
    )
    assert course.status == Course.Status.SIGNED
    procedure = course.procedures.get()
    client = logged_in(nurse)
    started = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    response = client.post(
        reverse("procedure-record", args=[procedure.pk]),
        {
            "outcome": "in_progress",
            "started_at": started.strftime("%Y-%m-%d %H:%M"),
            "consent_confirmed": "on",
            "access_working": "on",
            "plasma_removed_ml": "1900",
            "deviation_reason": "Brought forward.",
        },
    )
    assert response.status_code in (200, 302)
    page = client.get(reverse("procedure-record", args=[procedure.pk]))
    assert page.status_code == 200 and "Plasma processed (mL)" in page.content.decode()


def test_a_dfpp_fibrinogen_from_before_an_earlier_session_does_not_count(
    unit: None, physician: User, nurse: User
) -> None:
    patient = _pemphigus_patient(physician, fibrinogen_hours_ago=20)
    course = signed(physician, patient, **_dfpp())
    first, second = course.procedures.order_by("number")
    SessionRecord.objects.create(
        procedure=first,
        recorded_by=nurse,
        started_at=timezone.now() - timedelta(hours=18),
        ended_at=timezone.now() - timedelta(hours=16),
    )
    assert "starts only on a fibrinogen" in _start(logged_in(nurse), second)


def test_moving_a_dfpp_start_before_its_fibrinogen_is_refused_and_a_low_one_is_a_deviation(
    unit: None, physician: User, nurse: User
) -> None:
    from planner import records

    patient = _pemphigus_patient(physician)
    course = signed(physician, patient, **_dfpp())
    first = course.procedures.order_by("number").first()
    make_measurement(
        patient=patient, by=nurse, taken_at=timezone.now() - timedelta(minutes=30), fibrinogen_g_per_l=Decimal("0.8")
    )
    client = logged_in(nurse)
    assert "starts only on a fibrinogen" not in _start(client, first)
    record = SessionRecord.objects.get(procedure=first)
    earlier = timezone.localtime() - timedelta(hours=2)
    moved = client.post(
        reverse("procedure-record", args=[first.pk]),
        {
            "outcome": "in_progress",
            "started_at": earlier.strftime("%Y-%m-%d %H:%M"),
            "consent_confirmed": "on",
            "access_working": "on",
        },
    ).content.decode()
    assert "starts only on a fibrinogen" in moved
    record.refresh_from_db()
    order = printing.plans.order_for(course)
    codes = [d.code for d in records.deviations(record, order.plan)]
    assert "dfpp_fibrinogen_low" in codes


def test_a_dfpp_session_is_never_moved_to_a_device_that_cannot_run_it(unit: None, physician: User) -> None:
    from planner import booking

    Device.objects.create(
        name="Membrane separator 2 (TPE only)",
        kind="membrane",
        ecv_typical_ml=160,
        ecv_max_ml=200,
        plasma_removal_efficiency=Decimal("0.30"),
    )
    course = booked(physician, _pemphigus_patient(physician), **_dfpp())
    names = [device.name for device in booking.equivalent_devices(course)]
    assert names == ["Membrane separator 1"]
    with pytest.raises(booking.BookingConflict):
        booking.check_device_fits_order(course, Device.objects.get(name="Membrane separator 2 (TPE only)"))


def test_a_dfpp_course_charts_fibrinogen_as_measured_with_no_projection(unit: None, physician: User) -> None:
    patient = _pemphigus_patient(physician, fibrinogen_hours_ago=2)
    course = signed(physician, patient, **_dfpp())
    order = plans.order_for(course)
    data = charts.chart_data(course, order, list(course.procedures.select_related("record")))
    fibrinogen = next(panel for panel in data.panels if panel.key == "fibrinogen")
    assert [point.value for point in fibrinogen.measured] == [2.5]
    assert fibrinogen.projected == () and fibrinogen.trigger == float(order.plan.policy.fibrinogen_trigger_g_per_l)
