"""One identity per patient at every door; throttling that sees the real client; every printout logged.

Issue 13's reproductions: look-alike MRNs made second patients (also through the admin, which
skipped the MRN cleaning); behind the TLS proxy every failed login was the proxy's; wrong API
tokens were never throttled; the issue slip and the day's batch were printed without a log entry.
"""

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Value
from django.test import Client
from django.urls import reverse

from planner.demo import DEMO_PRODUCTS
from planner.models import ApiToken, Patient, PatientView, Product
from tests.access_table import ADMIN
from tests.conftest import logged_in
from tests.factories import (
    PASSWORD,
    make_course,
    make_device,
    make_indication,
    make_measurement,
    make_patient,
    make_procedure,
    make_role_user,
)

PATIENT = {
    "mrn": "DEMO-0002",
    "family_name": "Wang",
    "given_name": "Fang",
    "sex": "female",
    "date_of_birth": "1968-03-14",
    "abo_group": "",
    "rhd": "",
    "allergies": "",
    "notes": "",
}
LOOK_ALIKES = [
    "DEMO-０００２",  # full-width digits
    "DEMO-\u200b0002",  # a zero-width space
    "DEMO\u20110002",  # a non-breaking hyphen
    "ＤＥＭＯ-0002",  # full-width letters
    "demo\u22120002",  # lower case and a minus sign
    "\ufeffDEMO-0002 ",  # a byte-order mark from a scanner, a trailing space
    "DEMO-\u0660\u0660\u0660\u0662",  # Arabic-Indic digits
    "DEMO-0002\u3164",  # a Hangul filler, shown as nothing
    "DEMO-0002\ufe0f",  # a variation selector
]
# A patient as raw SQL writes it (mrn, family name, created, updated, created by, updated by): the door no form guards.
INSERT_PATIENT = (
    "INSERT INTO planner_patient (mrn, family_name, given_name, sex, date_of_birth, abo_group, rhd, "
    "allergies, notes, created_at, updated_at, created_by_id, updated_by_id) "
    "VALUES (%s, %s, 'Y', 'male', '1970-01-01', '', '', '', '', %s, %s, %s, %s)"
)
# Characters that only look like an MRN's: refused with a message naming them, never a second patient.
NOT_MRN_CHARACTERS = [
    ("D\u0415MO-0002", "\u0415", "0415"),  # a Cyrillic capital Ie
    ("DEMO-0002\u0301", "\u0301", "0301"),  # a combining accent
    ("DEMO\u25000002", "\u2500", "2500"),  # a box-drawing line
    ("DEMO\u02d70002", "\u02d7", "02D7"),  # the modifier letter minus
    ("住院号-12", "住", "4F4F"),
]


@pytest.mark.parametrize("typed", LOOK_ALIKES)
def test_a_look_alike_mrn_is_the_same_patient_on_the_patient_page(physician: User, typed: str) -> None:
    client = logged_in(physician)
    assert client.post(reverse("patient-create"), PATIENT).status_code == 302
    response = client.post(reverse("patient-create"), PATIENT | {"mrn": typed, "given_name": "Other"})
    assert response.status_code == 200
    assert "A patient with this medical record number already exists." in response.content.decode()
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["DEMO-0002"]


@pytest.mark.parametrize("typed", LOOK_ALIKES[:2])
def test_a_look_alike_mrn_is_the_same_patient_in_the_admin(staff_roles: None, typed: str) -> None:
    client = logged_in(make_role_user(ADMIN))
    admin_form = PATIENT | {"measurements-TOTAL_FORMS": "0", "measurements-INITIAL_FORMS": "0"}
    assert client.post(reverse("admin:planner_patient_add"), admin_form).status_code == 302
    response = client.post(reverse("admin:planner_patient_add"), admin_form | {"mrn": typed, "given_name": "Other"})
    assert response.status_code == 200
    assert "mrn" in response.context["adminform"].form.errors
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(("typed", "character", "code"), NOT_MRN_CHARACTERS)
def test_a_character_no_mrn_is_made_of_is_refused_by_name(
    physician: User, staff_roles: None, typed: str, character: str, code: str
) -> None:
    client = logged_in(physician)
    assert client.post(reverse("patient-create"), PATIENT).status_code == 302
    response = client.post(reverse("patient-create"), PATIENT | {"mrn": typed, "given_name": "Other"})
    assert response.status_code == 200
    assert response.context["form"].errors["mrn"] == [
        "A medical record number is made of the letters A–Z, the digits 0–9 and - / . _ only; "
        f"“{character}” (U+{code}) is not one of them."
    ]
    admin_form = PATIENT | {"measurements-TOTAL_FORMS": "0", "measurements-INITIAL_FORMS": "0"}
    in_admin = logged_in(make_role_user(ADMIN)).post(reverse("admin:planner_patient_add"), admin_form | {"mrn": typed})
    assert in_admin.status_code == 200
    assert f"(U+{code})" in in_admin.context["adminform"].form.errors["mrn"][0]
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["DEMO-0002"]


def test_a_scanned_or_full_width_mrn_finds_the_patient(physician: User) -> None:
    patient = make_patient(by=physician, mrn="DEMO-0002")
    client = logged_in(physician)
    opened = client.post(reverse("patient-list"), {"q": "\ufeffＤＥＭＯ\u2011０００２"})
    assert opened["Location"] == reverse("patient-detail", args=[patient.pk])
    listed = client.post(reverse("patient-list"), {"q": "ｄｅｍｏ-00"}).content.decode()
    assert reverse("patient-detail", args=[patient.pk]) in listed


def test_the_orm_stores_and_finds_the_canonical_mrn(physician: User) -> None:
    """Any later door (an import, a script, the API) goes through the field itself."""
    patient = make_patient(by=physician, mrn="ｄｅｍｏ\u2010０００２")
    assert Patient.objects.get(pk=patient.pk).mrn == "DEMO-0002"
    assert Patient.objects.get(mrn="demo-0002") == patient
    with pytest.raises(IntegrityError), transaction.atomic():
        make_patient(by=physician, mrn="DEMO\u20130002")


def test_an_orm_update_cannot_store_what_the_field_would_have_folded(physician: User) -> None:
    """QuerySet.update with an expression skips the field's cleaning: the database refuses the result."""
    patient = make_patient(by=physician, mrn="DEMO-0003")
    for typed in ("DEMO-０００３", "DEMO-\u200b0003", "demo-0003", "D\u0415MO-0003"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(mrn=Value(typed))
    assert Patient.objects.get(pk=patient.pk).mrn == "DEMO-0003"


def test_raw_sql_cannot_store_an_mrn_of_other_characters(physician: User) -> None:
    for typed in ("demo-0003", "DEMO 0003", "DEMO-０００３", "DEMO-\u200b0003", "DEMO-0003\n", "D\u0415MO-0003", ""):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                INSERT_PATIENT, [typed, "X", datetime.now(UTC), datetime.now(UTC), physician.pk, physician.pk]
            )


def test_the_same_name_and_birth_date_under_another_mrn_warns_before_saving(physician: User) -> None:
    client = logged_in(physician)
    client.post(reverse("patient-create"), PATIENT)
    warned = client.post(reverse("patient-create"), PATIENT | {"mrn": "DEMO-0999"})
    assert warned.status_code == 200
    page = warned.content.decode()
    assert "already recorded under MRN DEMO-0002" in page
    assert 'type="checkbox" name="confirm_other_person"' in page
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patient-create"), PATIENT | {"mrn": "DEMO-0999", "confirm_other_person": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_editing_a_patient_does_not_warn_about_the_patient_itself(physician: User) -> None:
    patient = make_patient(by=physician, mrn="DEMO-0002", family_name="Wang", given_name="Fang")
    patient.date_of_birth = date(1968, 3, 14)
    patient.save()
    response = logged_in(physician).post(reverse("patient-update", args=[patient.pk]), PATIENT | {"notes": "n"})
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_mrn_collisions_lists_patients_that_would_become_one(committed_db: None) -> None:
    """For a database the MRN migrations stopped on: it holds what the constraints now refuse."""
    physician = User.objects.create(username="old")
    first = make_patient(by=physician, mrn="DEMO-0002")
    second = make_patient(by=physician, mrn="OTHER-1", family_name="Li")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("planner")
    executor.migrate([("planner", "0015_replacement_policy_frozen_plans_verified_catalogue")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE planner_patient SET mrn = %s WHERE id = %s", ["DEMO-０００２", second.pk])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("mrn_collisions", stdout=out, stderr=err)
    assert exit_code.value.code == 1
    assert (
        out.getvalue().strip()
        == f"DEMO-0002: patient {first.pk} as 'DEMO-0002'; patient {second.pk} as 'DEMO-０００２'"
    )
    assert "1 MRN(s) held by more than one patient." in err.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE planner_patient SET mrn = 'OTHER-1' WHERE id = %s", [second.pk])
    MigrationExecutor(connection).migrate(latest)


def test_mrn_collisions_says_when_there_are_none(physician: User) -> None:
    make_patient(by=physician, mrn="DEMO-0002")
    out = io.StringIO()
    call_command("mrn_collisions", stdout=out)
    assert "No two patients share an MRN once normalised." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_migration_normalises_stored_mrns_and_stops_on_a_collision(committed_db: None) -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("planner")
    executor.migrate([("planner", "0015_replacement_policy_frozen_plans_verified_catalogue")])
    # Users by SQL too: the user history table this issue adds is not there yet at 0015.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user (username, password, is_superuser, first_name, last_name, email, is_staff, "
            "is_active, date_joined) VALUES ('old', '!', %s, '', '', '', %s, %s, %s)",
            [False, False, True, datetime.now(UTC)],
        )
        cursor.execute("SELECT id FROM auth_user WHERE username = 'old'")
        (user_id,) = cursor.fetchone()
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PATIENT, ["demo\u20110007", "A", now, now, user_id, user_id])
        cursor.execute(INSERT_PATIENT, ["DEMO-０００７", "B", now, now, user_id, user_id])
        cursor.execute(INSERT_PATIENT, ["ｘ-1", "C", now, now, user_id, user_id])
    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError, match=r"DEMO-0007: patient \d+ \('demo‑0007'\), patient \d+ \('DEMO-０００７'\)"):
        executor.migrate(latest)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE planner_patient SET mrn = 'DEMO-0008' WHERE family_name = 'B'")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["DEMO-0007", "DEMO-0008", "X-1"]
    # The staff accounts' audit trail starts with each account as found (migration 0017).
    first = User.history.get(id=user_id)
    assert (first.history_type, first.history_change_reason) == (
        "+",
        "as found when the audit trail of staff accounts began",
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_to_mrn_characters_folds_digits_and_names_what_it_cannot_fold(committed_db: None) -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("planner")
    executor.migrate([("planner", "0017_staff_history_and_export_permission")])
    creator = User.objects.create(username="old")
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PATIENT, ["DEMO-\u0660\u0661", "A", now, now, creator.pk, creator.pk])
        cursor.execute(INSERT_PATIENT, ["住院号-1", "B", now, now, creator.pk, creator.pk])
        cursor.execute("SELECT id FROM planner_patient WHERE family_name = 'B'")
        (chinese,) = cursor.fetchone()
    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError, match=rf"patient {chinese}'s MRN '住院号-1' has characters other than A-Z"):
        executor.migrate(latest)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE planner_patient SET mrn = 'ZYH-1' WHERE id = %s", [chinese])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["DEMO-01", "ZYH-1"]


# --- Throttling sees the real client ---------------------------------------------------------


def _failed_login(remote: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = Client(REMOTE_ADDR=remote).post(
        "/accounts/login/", {"username": "nurse", "password": "wrong"}, headers=headers
    )
    return response.status_code


def test_behind_a_trusted_proxy_the_forwarded_client_is_recorded(nurse: User, settings: object) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    _failed_login("10.0.0.1", "203.0.113.9")
    # A client that wrote its own header is to the left of what the proxy appended: never believed.
    _failed_login("10.0.0.1", "198.51.100.66, 203.0.113.10")
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.10", "203.0.113.9"]


def test_from_an_untrusted_address_the_header_is_ignored(nurse: User, settings: object) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    _failed_login("192.0.2.50", "203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.50"]


def test_one_client_behind_the_proxy_cannot_lock_a_colleague_out_from_another(nurse: User, settings: object) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _failed_login("10.0.0.1", "203.0.113.9")
    assert _failed_login("10.0.0.1", "203.0.113.9") == 429
    at_the_ward_pc = Client(REMOTE_ADDR="10.0.0.1").post(
        "/accounts/login/", {"username": "nurse", "password": PASSWORD}, headers={"X-Forwarded-For": "203.0.113.77"}
    )
    assert at_the_ward_pc.status_code == 302


def test_wrong_api_tokens_are_throttled_like_wrong_passwords(nurse: User, settings: object) -> None:
    url = reverse("api-exchange-plan")
    body = json.dumps({"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.4})
    _token, key = ApiToken.issue(user=nurse, name="LIS", issued_by=nurse)

    def call(client: Client, bearer: str) -> object:
        return client.post(url, body, content_type="application/json", headers={"Authorization": f"Bearer {bearer}"})

    guesser = Client(REMOTE_ADDR="192.0.2.9")
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [call(guesser, f"apk_guess{n}").status_code for n in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]  # as with passwords, the failure that reaches the limit locks
    locked = call(guesser, key)  # even the right key, from that address, until the cool-off ends
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "Too many wrong API tokens" in locked.json()["errors"]["__all__"][0]
    # Another system elsewhere in the hospital is not locked out by the guesser.
    assert call(Client(REMOTE_ADDR="192.0.2.10"), key).status_code != 429


# --- Every printout with patient data is in the patient-view log --------------------------------


def test_the_issue_slip_and_the_days_batch_are_logged_for_each_patient(physician: User, nurse: User) -> None:
    for values in DEMO_PRODUCTS:
        Product.objects.create(**values)
    device, indication = make_device(), make_indication()
    day = date(2026, 11, 30)
    procedures = []
    for n, mrn in enumerate(["P-1", "P-2"]):
        patient = make_patient(by=physician, mrn=mrn, family_name=f"Family{n}")
        course = make_course(patient=patient, indication=indication, device=device, by=physician, first_on=day)
        procedures.append(make_procedure(course=course, starts_at=datetime(2026, 11, 30, 1 + 3 * n, tzinfo=UTC)))
    client = logged_in(nurse)
    assert client.get(reverse("procedure-slip-pdf", args=[procedures[0].pk])).status_code == 200
    assert client.get(reverse("day-batch-pdf"), {"on": day.isoformat()}).status_code == 200
    logged = sorted(PatientView.objects.values_list("user__username", "patient__mrn", "page"))
    assert logged == [("nurse", "P-1", "day-batch"), ("nurse", "P-1", "issue-slip"), ("nurse", "P-2", "day-batch")]


def test_a_day_that_cannot_be_printed_says_why_instead_of_a_server_error(physician: User, nurse: User) -> None:
    """No active albumin product: the batch cannot give quantities, and says so on the calendar."""
    patient = make_patient(by=physician, mrn="P-1")
    course = make_course(
        patient=patient, indication=make_indication(), device=make_device(), by=physician, first_on=date(2026, 11, 30)
    )
    make_procedure(course=course, starts_at=datetime(2026, 11, 30, 1, tzinfo=UTC))
    response = logged_in(nurse).get(reverse("day-batch-pdf"), {"on": "2026-11-30"}, follow=True)
    assert response.redirect_chain == [(reverse("calendar") + "?view=day&on=2026-11-30", 302)]
    (message,) = [str(m) for m in response.context["messages"]]
    assert "albumin" in message.lower()


def test_every_page_that_shows_a_patients_record_is_in_the_log(physician: User) -> None:
    """Forms show the record too: opening one to edit is opening the record (htmx refreshes are not)."""
    patient = make_patient(by=physician, mrn="P-1")
    measurement = make_measurement(patient=patient, by=physician, weight_kg=Decimal("60"))
    course = make_course(
        patient=patient, indication=make_indication(), device=make_device(), by=physician, first_on=date(2026, 11, 30)
    )
    client = logged_in(physician)
    for url in [
        reverse("patient-update", args=[patient.pk]),
        reverse("measurement-create", args=[patient.pk]),
        reverse("measurement-update", args=[measurement.pk]),
        reverse("course-create", args=[patient.pk]),
        reverse("course-update", args=[course.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("course-update", args=[course.pk]), headers={"HX-Request": "true"}).status_code == 200
    logged = sorted(PatientView.objects.values_list("page", flat=True))
    assert logged == ["course-form", "course-form", "measurement-form", "measurement-form", "patient-edit"]
