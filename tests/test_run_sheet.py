"""Issue 14: a bedside run sheet on the session record, and a blank printable one per session.

A paper TPE run sheet and the device screen carry vitals every 15-30 minutes, repeat ionised
calcium with the calcium given, the device settings and the kit, ACD-A and device identifiers; the
record had one set of vitals at check-in.
"""

import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from planner import db_guards, plans
from planner.models import PatientView, Procedure, RunSheetEntry, SessionRecord
from planner.records import mark_reviewed
from tests.conftest import logged_in
from tests.test_records import record


def _row(**values: str) -> dict[str, str]:
    moment = (timezone.localtime() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    return {"taken_at": moment, **values}


def _add(user: User, procedure: Procedure, **values: str) -> object:
    return logged_in(user).post(reverse("run-sheet-entry-create", args=[procedure.pk]), _row(**values), follow=True)


def test_the_nurse_adds_timed_rows_as_the_run_goes(procedure: Procedure, nurse: User) -> None:
    record(nurse, procedure, outcome="in_progress", ended_at="")
    _add(nurse, procedure, systolic_bp_mmhg="118", diastolic_bp_mmhg="72", heart_rate_per_min="84", spo2_percent="98")
    page = _add(
        nurse, procedure, ionised_calcium_mmol_per_l="0.98", calcium_given_ml="10", symptoms="Perioral tingling"
    ).content.decode()
    rows = list(RunSheetEntry.objects.values_list("systolic_bp_mmhg", "ionised_calcium_mmol_per_l", "symptoms"))
    assert [(s, str(c) if c is not None else None, t) for s, c, t in rows] == [
        (118, None, ""),
        (None, "0.98", "Perioral tingling"),
    ]
    assert "Perioral tingling" in page and "118/72" in page
    assert set(RunSheetEntry.objects.values_list("recorded_by__username", flat=True)) == {"nurse"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "Enter at least one value for this time."),
        ({"systolic_bp_mmhg": "70", "diastolic_bp_mmhg": "80"}, "The diastolic pressure must be below the systolic."),
        ({"spo2_percent": "101"}, "Enter a value between 50 and 100 %."),
        ({"heart_rate_per_min": "900"}, "Enter a value between 20 and 250 /min."),
        ({"ionised_calcium_mmol_per_l": "11"}, "Enter a value between 0.2 and 3.0 mmol/L."),
    ],
)
def test_a_row_that_cannot_be_right_is_refused_with_the_reason(
    procedure: Procedure, nurse: User, values: dict[str, str], message: str
) -> None:
    record(nurse, procedure, outcome="in_progress", ended_at="")
    page = _add(nurse, procedure, **values).content.decode()
    assert message in page
    assert not RunSheetEntry.objects.exists()


def test_a_row_in_the_future_is_refused(procedure: Procedure, nurse: User) -> None:
    record(nurse, procedure, outcome="in_progress", ended_at="")
    later = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in(nurse).post(
        reverse("run-sheet-entry-create", args=[procedure.pk]), {"taken_at": later, "heart_rate_per_min": "80"}
    )
    assert "This time is in the future." in response.content.decode()
    assert not RunSheetEntry.objects.exists()


def test_rows_need_the_check_in_first_and_the_right_to_record(
    procedure: Procedure, nurse: User, bloodbank: User
) -> None:
    _add(nurse, procedure, heart_rate_per_min="80")
    assert not RunSheetEntry.objects.exists()
    record(nurse, procedure, outcome="in_progress", ended_at="")
    refused = logged_in(bloodbank).post(reverse("run-sheet-entry-create", args=[procedure.pk]), _row(spo2_percent="97"))
    assert refused.status_code == 403
    assert not RunSheetEntry.objects.exists()


def test_device_settings_and_identifiers_are_part_of_the_record(procedure: Procedure, nurse: User) -> None:
    record(
        nurse,
        procedure,
        inlet_flow_ml_per_min="60",
        plasma_flow_ml_per_min="25",
        inlet_ac_ratio="12",
        ac_infusion_rate="1.0",
        kit_lot="KIT-2026-11",
        anticoagulant_lot="ACD-88",
        device_serial="1OP00042",
    )
    saved = SessionRecord.objects.get()
    assert (saved.inlet_flow_ml_per_min, saved.kit_lot, saved.device_serial) == (60, "KIT-2026-11", "1OP00042")
    page = record(nurse, procedure, inlet_flow_ml_per_min="900").content.decode()
    assert "Enter a value between 5 and 150 mL/min." in page


class TestReviewedRunSheetIsLocked:
    @pytest.fixture
    def entry(self, procedure: Procedure, nurse: User, reviewer: User) -> RunSheetEntry:
        record(nurse, procedure, outcome="in_progress", ended_at="")
        _add(nurse, procedure, heart_rate_per_min="80")
        record(nurse, procedure)
        mark_reviewed(SessionRecord.objects.all(), by=reviewer)
        return RunSheetEntry.objects.get()

    def refused(self, action: Callable[[], object]) -> None:
        with pytest.raises(IntegrityError, match=db_guards.REVIEW_GUARD), transaction.atomic():
            action()

    def test_the_page_the_orm_and_raw_sql_are_refused(self, entry: RunSheetEntry, nurse: User) -> None:
        page = _add(nurse, entry.record.procedure, heart_rate_per_min="90").content.decode()
        assert "reviewed and is locked" in page
        entry.heart_rate_per_min = 200
        self.refused(entry.save)
        self.refused(lambda: RunSheetEntry.objects.filter(pk=entry.pk).update(symptoms="edited"))
        self.refused(lambda: RunSheetEntry.objects.filter(pk=entry.pk).delete())

        def insert_by_sql() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO planner_runsheetentry (record_id, taken_at, symptoms, recorded_by_id, recorded_at) "
                    "VALUES (%s, %s, 'x', %s, %s)",
                    [entry.record_id, timezone.now(), nurse.pk, timezone.now()],
                )

        self.refused(insert_by_sql)
        assert RunSheetEntry.objects.get().heart_rate_per_min == 80


def test_the_blank_run_sheet_carries_the_orders_numbers(procedure: Procedure, nurse: User) -> None:
    response = logged_in(nurse).get(reverse("run-sheet-pdf", args=[procedure.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    course = Procedure.objects.get(pk=procedure.pk).course
    rounded = plans.order_for(course).plan.rounded  # the signed order as stored
    assert f"Run sheet — session 1 of {procedure.course.sessions_count}" in text
    assert procedure.course.patient.mrn in text
    for label, key in (("Plasma exchanged (mL)", "exchange_volume_ml"), ("Duration (min)", "duration_min")):
        line = next(line for line in text.splitlines() if label in line)
        assert str(rounded[key]) in line
    assert "Kit lot" in text and "ACD-A lot" in text and "Every 15 to 30 minutes" in text
    assert "Issue slip" not in text and text.count("\f") == 1  # one page: the run sheet alone
    assert PatientView.objects.filter(page="run-sheet", user=nurse).count() == 1


def test_each_volume_shows_its_planned_value_beside_the_field(procedure: Procedure, nurse: User) -> None:
    """At the bedside on a tablet the planned column sat below the whole form: now under each field."""
    course = Procedure.objects.get(pk=procedure.pk).course
    rounded = plans.order_for(course).plan.rounded
    form = logged_in(nurse).get(reverse("procedure-record", args=[procedure.pk])).context["form"]
    assert form.fields["plasma_removed_ml"].help_text == f"Planned: {rounded['exchange_volume_ml']} mL"
    assert form.fields["albumin_given_ml"].help_text == f"Planned: {rounded['replacement']['albumin_ml']} mL"
    assert form.fields["calcium_given_ml"].help_text == f"Planned: {rounded['calcium_gluconate_ml']} mL"
