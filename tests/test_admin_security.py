"""Issue 13's reproductions, each as it was done against the first version, now refused.

- A view-only reviewer edited records through the admin's history form (simple-history saves what
  is posted to it for anyone who may view the record).
- A member of the admin group made itself superuser and physician, then signed an order.
- The reviewers' CSV carried an MRN typed as a spreadsheet formula, live.
- A refusal by a database guard came back as a server error.
"""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.urls import reverse

from planner import roles
from planner.admin.clinical import PatientAdmin
from planner.models import ApiToken, Course, Device, Measurement, Patient, PatientView, SessionRecord
from tests import workflow
from tests.access_table import ADMIN, REVIEWER, SUPERUSER
from tests.conftest import logged_in
from tests.factories import (
    make_course,
    make_device,
    make_indication,
    make_measurement,
    make_patient,
    make_procedure,
    make_role_user,
    make_user,
)


@pytest.fixture
def records(physician: User) -> dict[str, object]:
    """What the hostile reviewer changed: a patient, a weight, a draft course, an unreviewed session."""
    patient = make_patient(by=physician)
    measurement = make_measurement(patient=patient, by=physician, weight_kg=Decimal("58.0"), height_cm=Decimal("160"))
    course = make_course(
        patient=patient, indication=make_indication(), device=make_device(), by=physician, first_on=date(2026, 11, 30)
    )
    procedure = make_procedure(course=course)
    record = SessionRecord.objects.create(procedure=procedure, recorded_by=physician)
    return {"patient": patient, "measurement": measurement, "course": course, "record": record}


def _history_form(obj: object) -> str:
    opts = obj._meta
    version = obj.history.latest().history_id
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version])


def _patient_data(patient: Patient, **changes: object) -> dict[str, object]:
    return {
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "sex": patient.sex,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "abo_group": "",
        "rhd": "",
        "allergies": "",
        "notes": "",
        "measurements-TOTAL_FORMS": "0",
        "measurements-INITIAL_FORMS": "0",
        **changes,
    }


def test_a_reviewer_cannot_edit_anything_through_a_history_page(staff_roles: None, records: dict) -> None:
    reviewer = logged_in(make_role_user(REVIEWER))
    patient, measurement, course, record = (records[k] for k in ("patient", "measurement", "course", "record"))
    attempts = [
        (patient, _patient_data(patient, family_name="Forged")),
        (measurement, {"patient": patient.pk, "taken_at_0": "2026-11-20", "taken_at_1": "08:00", "weight_kg": "150"}),
        (course, {"plasma_fraction": "0.5", "albumin_fraction": "0.5", "sessions_count": "12"}),
        (record, {"outcome": "completed", "plasma_removed_ml": "9999"}),
    ]
    for obj, data in attempts:
        page = reviewer.get(_history_form(obj))
        assert page.status_code == 200
        # Read-only: no form field to fill, no button to press.
        assert 'name="_save"' not in page.content.decode()
        assert "<textarea" not in page.content.decode()
        assert reviewer.post(_history_form(obj), data).status_code == 403
    patient.refresh_from_db()
    measurement.refresh_from_db()
    course.refresh_from_db()
    record.refresh_from_db()
    assert patient.family_name == "Smith"
    assert measurement.weight_kg == Decimal("58.0")
    assert (course.plasma_fraction, course.sessions_count) == (Decimal("0"), 5)
    assert record.plasma_removed_ml is None


def test_orders_and_session_records_cannot_be_reverted_even_by_a_superuser(staff_roles: None, records: dict) -> None:
    root = logged_in(make_role_user(SUPERUSER))
    for obj in (records["course"], records["record"]):
        assert root.post(_history_form(obj), {}).status_code == 403


def test_an_administrator_reverts_a_patient_and_the_revert_is_attributed(staff_roles: None, records: dict) -> None:
    unit_admin = make_role_user(ADMIN)
    patient = records["patient"]
    first_version = patient.history.earliest().history_id
    patient.family_name = "Typo"
    patient.save()
    url = reverse("admin:planner_patient_simple_history", args=[patient.pk, first_version])
    response = logged_in(unit_admin).post(url, _patient_data(patient, family_name="Smith"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Smith"
    assert patient.history.latest().history_user == unit_admin


def test_a_refusal_by_a_database_guard_is_a_message_not_a_server_error(
    staff_roles: None, records: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise IntegrityError("course_guard: a signed course is frozen\nCONTEXT: PL/pgSQL function")

    monkeypatch.setattr(PatientAdmin, "save_model", refused)
    patient = records["patient"]
    client = logged_in(make_role_user(ADMIN))
    url = reverse("admin:planner_patient_change", args=[patient.pk])
    response = client.post(url, _patient_data(patient, family_name="Changed"))
    assert response.status_code == 302
    assert response["Location"] == url
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["Not saved: the database refused the change (a signed course is frozen)."]
    patient.refresh_from_db()
    assert patient.family_name == "Smith"


# --- Nobody grants themselves rights ----------------------------------------------------------------


def _user_data(user: User, **changes: object) -> dict[str, object]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-11-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-11-01",
        "initial-date_joined_1": "08:00:00",
        **changes,
    }


def _group(name: str) -> int:
    return Group.objects.get(name=name).pk


def test_an_administrator_cannot_make_itself_superuser_or_physician_and_then_sign(
    staff_roles: None, records: dict
) -> None:
    unit_admin = make_role_user(ADMIN)
    client = logged_in(unit_admin)
    url = reverse("admin:auth_user_change", args=[unit_admin.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    client.post(
        url,
        _user_data(
            unit_admin,
            is_superuser="on",
            groups=[_group(roles.ADMIN), _group(roles.PHYSICIAN)],
            user_permissions=["1", "2"],
        ),
    )
    unit_admin.refresh_from_db()
    assert not unit_admin.is_superuser
    assert set(unit_admin.groups.values_list("name", flat=True)) == {roles.ADMIN}
    assert not unit_admin.user_permissions.exists()
    assert workflow.sign(client, records["course"]).status_code == 403
    assert Course.objects.get(pk=records["course"].pk).status == Course.Status.DRAFT


@pytest.mark.parametrize("role", sorted(roles.PROTECTED_ROLES))
def test_an_administrator_manages_the_wards_roles_but_not_protected_ones(
    staff_roles: None, nurse: User, role: str
) -> None:
    unit_admin = make_role_user(ADMIN)
    client = logged_in(unit_admin)
    url = reverse("admin:auth_user_change", args=[nurse.pk])
    # Granting a role that signs, reviews or exports, or administers: not a choice the form offers.
    refused = client.post(url, _user_data(nurse, groups=[_group(roles.NURSE), _group(role)]))
    assert refused.status_code == 200
    assert "groups" in refused.context["adminform"].form.errors
    assert not nurse.groups.filter(name=role).exists()
    # A ward role is the administrator's to grant, and the change is kept with who and when.
    granted = client.post(url, _user_data(nurse, groups=[_group(roles.NURSE), _group(roles.BLOOD_BANK)]))
    assert granted.status_code == 302
    assert set(nurse.groups.values_list("name", flat=True)) == {roles.NURSE, roles.BLOOD_BANK}
    latest = User.history.filter(id=nurse.pk).latest()
    assert latest.history_user == unit_admin
    assert {g.group_id for g in latest.groups.all()} == {_group(roles.NURSE), _group(roles.BLOOD_BANK)}
    history = client.get(reverse("admin:auth_user_history", args=[nurse.pk])).content.decode()
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", history)).split())
    assert "Groups: nurse → bloodbank, nurse" in shown
    assert unit_admin.username in shown


def _with_permission(codename: str, *, through_group: bool) -> User:
    """A ward account given a protected right some other way than a protected role."""
    holder = make_role_user(roles.NURSE)
    permission = Permission.objects.get(content_type__app_label="planner", codename=codename)
    if through_group:
        group = Group.objects.create(name=f"made-up {codename}")
        group.permissions.add(permission)
        holder.groups.add(group)
    else:
        holder.user_permissions.add(permission)
    return holder


@pytest.mark.parametrize(
    "target",
    [
        "reviewer",
        "other admin",
        "superuser",
        "sign_course directly",
        "export_sessionrecord through a made-up group",
        "review_sessionrecord directly",
    ],
)
def test_an_administrator_cannot_set_the_password_of_an_account_with_rights_it_lacks(
    staff_roles: None, target: str
) -> None:
    """A new password is a login in the holder's name: a reviewer's would export, a signer's would sign."""
    accounts = {
        "reviewer": lambda: make_role_user(REVIEWER),
        "other admin": lambda: make_user(username="admin2", role=roles.ADMIN),
        "superuser": lambda: make_role_user(SUPERUSER),
        "sign_course directly": lambda: _with_permission("sign_course", through_group=False),
        "export_sessionrecord through a made-up group": lambda: _with_permission(
            "export_sessionrecord", through_group=True
        ),
        "review_sessionrecord directly": lambda: _with_permission("review_sessionrecord", through_group=False),
    }
    holder = accounts[target]()
    before = User.objects.get(pk=holder.pk).password
    client = logged_in(make_role_user(ADMIN))
    url = reverse("admin:auth_user_password_change", args=[holder.pk])
    assert client.get(url).status_code == 403
    new = {"password1": "An0ther-long-passphrase", "password2": "An0ther-long-passphrase", "usable_password": "true"}
    assert client.post(url, new).status_code == 403
    assert User.objects.get(pk=holder.pk).password == before
    change = client.post(reverse("admin:auth_user_change", args=[holder.pk]), _user_data(holder, is_active=""))
    assert change.status_code == 403
    assert User.objects.get(pk=holder.pk).is_active


def test_a_password_set_in_the_admin_is_in_the_accounts_trail(staff_roles: None, nurse: User) -> None:
    unit_admin = make_role_user(ADMIN)
    url = reverse("admin:auth_user_password_change", args=[nurse.pk])
    new = {"password1": "An0ther-long-passphrase", "password2": "An0ther-long-passphrase", "usable_password": "true"}
    assert logged_in(unit_admin).post(url, new).status_code == 302
    latest = User.history.filter(id=nurse.pk).latest()
    assert (latest.history_user, latest.history_change_reason) == (unit_admin, "password set")
    assert not hasattr(latest, "password")  # the trail says that it changed, never what to


def test_a_physicians_account_is_a_superusers_to_change(staff_roles: None, physician: User) -> None:
    client = logged_in(make_role_user(ADMIN))
    url = reverse("admin:auth_user_change", args=[physician.pk])
    assert client.post(url, _user_data(physician, groups=[])).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[physician.pk])).status_code == 403
    assert physician.groups.filter(name=roles.PHYSICIAN).exists()
    # A superuser grants and removes the signing role.
    root = logged_in(make_role_user(SUPERUSER))
    assert root.post(url, _user_data(physician, groups=[_group(roles.NURSE)])).status_code == 302
    assert set(physician.groups.values_list("name", flat=True)) == {roles.NURSE}


def test_an_administrators_edits_keep_the_signing_roles_it_cannot_see(staff_roles: None) -> None:
    """A nurse who is also a physician is a superuser's account: the admin group cannot strip the role."""
    both = make_role_user(roles.NURSE)
    both.groups.add(Group.objects.get(name=roles.PHYSICIAN))
    client = logged_in(make_role_user(ADMIN))
    assert client.post(reverse("admin:auth_user_change", args=[both.pk]), _user_data(both)).status_code == 403
    assert both.groups.filter(name=roles.PHYSICIAN).exists()


def test_nobody_changes_their_own_groups_not_even_a_superuser(staff_roles: None) -> None:
    root = make_role_user(SUPERUSER)
    client = logged_in(root)
    url = reverse("admin:auth_user_change", args=[root.pk])
    client.post(url, _user_data(root, groups=[_group(roles.PHYSICIAN)], is_superuser="on"))
    assert not root.groups.exists()


def test_only_a_superuser_changes_what_a_role_may_do(staff_roles: None) -> None:
    group = Group.objects.get(name=roles.NURSE)
    before = set(group.permissions.values_list("pk", flat=True))
    url = reverse("admin:auth_group_change", args=[group.pk])
    data = {"name": roles.NURSE, "permissions": list(before) + [1]}
    assert logged_in(make_role_user(ADMIN)).post(url, data).status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_a_role_change_outside_the_admin_is_in_the_trail_too(staff_roles: None, nurse: User) -> None:
    """setup_roles, the shell, a script: the user's history still records the new groups."""
    nurse.groups.add(Group.objects.get(name=roles.REVIEWER))
    latest = User.history.filter(id=nurse.pk).latest()
    assert {g.group.name for g in latest.groups.all()} == {roles.NURSE, roles.REVIEWER}


# --- Exports a spreadsheet cannot execute -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x.cn","x")', "+1+CMD|'/C calc'!A0", "@SUM(1+1)*CMD", "-2+3+CMD|' /C calc'!A0"],
)
def test_the_reviewers_csv_holds_formulas_as_text(staff_roles: None, records: dict, typed: str) -> None:
    """The MRN can no longer hold a formula (patient_mrn_characters); a device's name still can."""
    record = records["record"]
    Device.objects.filter(pk=record.procedure.device_id).update(name=typed)
    # 2800 mL removed, 2700 mL given: 96 % replaced.
    SessionRecord.objects.filter(pk=record.pk).update(plasma_removed_ml=2800, albumin_given_ml=2700)
    response = logged_in(make_role_user(REVIEWER)).post(
        reverse("admin:planner_sessionrecord_changelist"),
        {"action": "export_csv", "_selected_action": [record.pk], "index": "0"},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["device"] == "'" + typed
    # Numbers stay numbers.
    assert (rows[0]["plasma_removed_ml"], rows[0]["fluid_balance_percent"]) == ("2800", "96")


def test_exporting_needs_its_own_permission(staff_roles: None, records: dict) -> None:
    """The administrator reads the session log but exports nothing: patient data leaves with reviewers only."""
    response = logged_in(make_role_user(ADMIN)).post(
        reverse("admin:planner_sessionrecord_changelist"),
        {"action": "export_csv", "_selected_action": [records["record"].pk], "index": "0"},
    )
    assert not response["Content-Type"].startswith("text/csv")


def test_measurements_in_the_admin_record_who_corrected_them(staff_roles: None, records: dict) -> None:
    measurement = records["measurement"]
    unit_admin = make_role_user(ADMIN)
    url = reverse("admin:planner_measurement_change", args=[measurement.pk])
    data = {
        "patient": measurement.patient_id,
        "taken_at_0": "2026-11-20",
        "taken_at_1": "08:00:00",
        "weight_kg": "59.0",
        "height_cm": "160",
        "haematocrit": "",
        "fibrinogen_g_per_l": "",
    }
    form = logged_in(unit_admin).get(url).context["adminform"].form
    data |= {name: "" for name in form.fields if name not in data}
    response = logged_in(unit_admin).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Measurement.objects.get(pk=measurement.pk).updated_by == unit_admin


def test_an_account_read_only_shows_no_password_hash(staff_roles: None, physician: User, nurse: User) -> None:
    client = logged_in(make_role_user(ADMIN))
    page = client.get(reverse("admin:auth_user_change", args=[physician.pk])).content.decode()
    assert physician.password.split("$")[-1] not in page
    assert "pbkdf2" not in page and "md5" not in page
    # An account's past version is for reading: text, not a form, even for one the administrator manages.
    past = client.get(_history_form(nurse)).content.decode()
    assert 'name="groups"' not in past and 'name="username"' not in past


def test_an_administrator_issues_api_keys_only_for_accounts_it_manages(
    staff_roles: None, physician: User, nurse: User
) -> None:
    """A key acts as its user: one for a physician would let the administrator act in the physician's name."""
    client = logged_in(make_role_user(ADMIN))
    url = reverse("admin:planner_apitoken_add")
    refused = client.post(url, {"user": physician.pk, "name": "as the physician"})
    assert refused.status_code == 200
    assert "user" in refused.context["adminform"].form.errors
    assert client.post(url, {"user": nurse.pk, "name": "LIS bridge"}).status_code == 302
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["nurse"]


# --- Unlocking a login -------------------------------------------------------------------------------


def _failures(username: str) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username, ip_address="192.0.2.9", user_agent="x", failures_since_start=5, get_data="", post_data=""
    )


def test_an_administrator_unlocks_the_wards_logins_but_not_a_protected_one(
    staff_roles: None, physician: User, nurse: User
) -> None:
    """Unlocking a physician's login again and again would let someone guess the password for ever."""
    physicians, nurses = _failures(physician.username), _failures(nurse.username)
    client = logged_in(make_role_user(ADMIN))
    refused = client.post(reverse("admin:axes_accessattempt_delete", args=[physicians.pk]), {"post": "yes"})
    assert refused.status_code == 403
    listed = reverse("admin:axes_accessattempt_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [physicians.pk, nurses.pk], "post": "yes"}
    client.post(listed, bulk)
    assert AccessAttempt.objects.filter(pk=physicians.pk).exists()  # all or nothing: the bulk deletion is refused
    assert client.post(reverse("admin:axes_accessattempt_delete", args=[nurses.pk]), {"post": "yes"}).status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [physician.username]
    # A superuser unlocks anyone.
    root = logged_in(make_role_user(SUPERUSER))
    assert (
        root.post(reverse("admin:axes_accessattempt_delete", args=[physicians.pk]), {"post": "yes"}).status_code == 302
    )
    assert not AccessAttempt.objects.exists()


# --- Every admin page with patient data ------------------------------------------------------------


@pytest.mark.parametrize("address", ["abc/history/1/", "1/history/abc/", "1/history/99999999999999999999x/"])
def test_a_malformed_history_address_is_not_found(staff_roles: None, records: dict, address: str) -> None:
    url = reverse("admin:planner_patient_changelist") + address
    assert logged_in(make_role_user(REVIEWER)).get(url).status_code == 404


def test_opening_a_patient_in_the_admin_is_in_the_patient_view_log(staff_roles: None, records: dict) -> None:
    patient, record = records["patient"], records["record"]
    reviewer = make_role_user(REVIEWER)
    client = logged_in(reviewer)
    for url in [
        reverse("admin:planner_patient_change", args=[patient.pk]),
        _history_form(patient),
        reverse("admin:planner_measurement_change", args=[records["measurement"].pk]),
        reverse("admin:planner_course_change", args=[records["course"].pk]),
        reverse("admin:planner_procedure_change", args=[record.procedure_id]),
        reverse("admin:planner_sessionrecord_change", args=[record.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    assert list(PatientView.objects.values_list("user", "patient", "page")) == [(reviewer.pk, patient.pk, "admin")] * 6


def test_the_csv_export_is_in_the_patient_view_log(staff_roles: None, records: dict) -> None:
    reviewer = make_role_user(REVIEWER)
    response = logged_in(reviewer).post(
        reverse("admin:planner_sessionrecord_changelist"),
        {"action": "export_csv", "_selected_action": [records["record"].pk], "index": "0"},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert list(PatientView.objects.values_list("user", "patient", "page")) == [
        (reviewer.pk, records["patient"].pk, "export-csv")
    ]
