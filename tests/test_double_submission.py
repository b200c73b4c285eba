"""Two clicks on a creating form save one record; the second click lands where the first did."""

import threading
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from planner.models import AdverseEvent, Course, IssuedProduct, Measurement, Patient, Product, SessionRecord, Submission
from planner.submissions import FIELD
from tests import workflow
from tests.conftest import logged_in
from tests.test_hostile_input import PATIENT
from tests.workflow import form_data


def twice(client: Client, url: str, data: dict) -> tuple:
    data = {**data, FIELD: str(uuid.uuid4())}
    return client.post(url, data), client.post(url, data, follow=True)


def test_a_new_patient(physician: User) -> None:
    first, second = twice(logged_in(physician), reverse("patient-create"), PATIENT)
    assert Patient.objects.count() == 1
    assert second.redirect_chain[0][0] == first["Location"]
    assert "it was saved once, not twice" in second.content.decode()


def test_a_measurement(patient: Patient, physician: User) -> None:
    before = Measurement.objects.count()
    data = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "61"}
    twice(logged_in(physician), reverse("measurement-create", args=[patient.pk]), data)
    assert Measurement.objects.count() == before + 1


def test_a_course(patient: Patient, physician: User) -> None:
    first, second = twice(logged_in(physician), reverse("course-create", args=[patient.pk]), form_data())
    assert Course.objects.count() == 1
    assert second.redirect_chain[0][0] == first["Location"]


@pytest.fixture
def recorded(patient: Patient, physician: User, nurse: User) -> int:
    procedure = workflow.signed(physician, patient).procedures.order_by("number").first()
    SessionRecord.objects.create(procedure=procedure, recorded_by=nurse)
    return procedure.pk


def test_an_adverse_event_and_an_issued_product(recorded: int, nurse: User, bloodbank: User) -> None:
    event = {
        "kind": "hypotension",
        "severity": "mild",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "action_taken": "Legs raised",
        "outcome": "Resolved",
    }
    twice(logged_in(nurse), reverse("adverse-event-create", args=[recorded]), event)
    assert AdverseEvent.objects.count() == 1
    albumin = Product.objects.get(kind="albumin", is_default=True)
    issue = {"product": albumin.pk, "lot_number": "L-1", "quantity": "12"}
    twice(logged_in(bloodbank), reverse("issued-product-create", args=[recorded]), issue)
    assert IssuedProduct.objects.count() == 1


def test_a_refused_form_keeps_no_token_so_the_corrected_form_can_be_sent(physician: User) -> None:
    token = str(uuid.uuid4())
    client = logged_in(physician)
    assert client.post(reverse("patient-create"), {**PATIENT, "mrn": "", FIELD: token}).status_code == 200
    assert not Submission.objects.exists()
    assert client.post(reverse("patient-create"), {**PATIENT, FIELD: token}).status_code == 302
    assert Patient.objects.count() == 1


def test_without_a_token_the_form_works_as_before(physician: User) -> None:
    assert logged_in(physician).post(reverse("patient-create"), PATIENT).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_moment_save_one_record(committed_db: None, patient: Patient, physician: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the simultaneous case is a PostgreSQL test")
    url = reverse("measurement-create", args=[patient.pk])
    data = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "63", FIELD: str(uuid.uuid4())}
    before = Measurement.objects.count()
    start = threading.Barrier(2, timeout=10)
    answers: list[int] = []

    def send() -> None:
        client = logged_in(physician)
        start.wait()
        try:
            answers.append(client.post(url, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert Measurement.objects.count() == before + 1
    assert Submission.objects.get().result_url == reverse("patient-detail", args=[patient.pk])
