"""Issue 15: Chinese hospital practice — graded approval of blood-product volume, consents, two-person
checks with named signers, and the course's usual number of sessions as a limit.

The volumes are the clinical reference's Example A (male, 175 cm, 70 kg, Hct 0.40): TPV 2894.3 mL,
so a 1.0 TPV all-plasma exchange gives 2894 mL of plasma on one day — at or above 1,600 mL, it needs
the senior physician, the department head and the medical affairs office
(《医疗机构临床用血管理办法》 第二十条, clinical-reference-modalities.md §8). Two thirds albumin and
the last third plasma, typed as shares 0.667 and 0.333, gives 2894.25 x 0.333 = 963.8 -> 964 mL.
"""

import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from planner import approvals, consents, printing, roles
from planner.models import (
    Approval,
    BedsideCheck,
    Consent,
    Course,
    Indication,
    IssuedProduct,
    Patient,
    Procedure,
    Product,
    SessionRecord,
)
from planner.worklist import day_worklist
from tests.conftest import logged_in
from tests.factories import PASSWORD, make_measured_patient, make_measurement, make_patient, make_user
from tests.workflow import booked, form_data, pemphigus, sign, signed

ALL_PLASMA = {"albumin_fraction": "0", "plasma_fraction": "1", "fluid_override_reason": "Bleeding after biopsy"}
LAST_THIRD_PLASMA = {
    "albumin_fraction": "0.667",
    "plasma_fraction": "0.333",
    "fluid_override_reason": "Fibrinogen low",
}
PLASMA_UNIT = "Fresh frozen plasma 100 mL unit"
ALBUMIN_20 = "Human albumin 20 % 10 g/50 mL"


@pytest.fixture
def approvals_on(settings: object) -> None:
    settings.APPROVALS_REQUIRED = True


@pytest.fixture
def example_a(unit: None, physician: User) -> Patient:
    patient = make_patient(by=physician, mrn="MRN-EXA", sex=Patient.Sex.MALE, abo_group="A")
    make_measurement(
        patient=patient,
        by=physician,
        taken_at=timezone.now() - timedelta(days=1),
        weight_kg=Decimal("70"),
        height_cm=Decimal("175"),
        haematocrit=Decimal("0.400"),
        fibrinogen_g_per_l=Decimal("3.0"),
    )
    return patient


@pytest.fixture
def approvers(staff_roles: None) -> dict[str, User]:
    users = {}
    for step, role in roles.APPROVAL_ROLES.items():
        user = make_user(username=f"approver-{step}", role=role)
        user.first_name, user.last_name = {"senior": ("Jun", "Wang"), "head": ("Li", "Zhang")}.get(
            step, ("Ying", "Liu")
        )
        user.save()
        users[step] = user
    return users


def _messages(response: object) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _approve(user: User, course: Course, step: str) -> object:
    return logged_in(user).post(reverse("course-approve", args=[course.pk]), {"step": step, "note": ""})


def _issue_plasma(user: User, procedure: Procedure, **extra: str) -> object:
    product = Product.objects.get(name=PLASMA_UNIT)
    data = {"product": product.pk, "lot_number": "P-0001", "abo_group": "A", "quantity": "2", **extra}
    return logged_in(user).post(reverse("issued-product-create", args=[procedure.pk]), data)


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


# --- Graded approval ---------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "band"), [(0, 0), (1, 1), (799, 1), (800, 2), (1599, 2), (1600, 3), (2894, 3)])
def test_the_bands_follow_the_rule(total: int, band: int) -> None:
    # Under 800 mL: senior; 800 to under 1,600: and the head; 1,600 or more: and medical affairs.
    assert approvals.band(total) == band


def test_the_thresholds_and_products_counted_are_settings(settings: object) -> None:
    settings.APPROVAL_THRESHOLDS_ML = (400, 1000)
    assert [approvals.band(ml) for ml in (399, 400, 999, 1000)] == [1, 2, 2, 3]
    fluids = {"plasma_ml": 500, "albumin_ml": 1000, "saline_ml": 300}
    assert approvals.counted_ml(fluids) == 500  # plasma counts by default
    settings.APPROVAL_COUNTED_KINDS = ["plasma", "albumin"]
    assert approvals.counted_ml(fluids) == 1500


@pytest.mark.usefixtures("approvals_on")
def test_an_order_over_1600_ml_of_plasma_is_not_issued_before_medical_affairs_approves(
    example_a: Patient, physician: User, bloodbank: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    assert course.status == Course.Status.SIGNED
    first = course.procedures.get()
    state = approvals.status(course)
    assert state.highest_ml == 2894  # Example A: TPV 2894.3 mL, all plasma
    assert state.band == 3
    assert [step.step for step in state.steps] == ["senior", "head", "medical_affairs"]
    assert not state.releasable

    # Awaiting: nothing issued, nothing on the blood bank's day, marked on the paper.
    assert "Awaiting approval" in _messages(_issue_plasma(bloodbank, first))
    assert not IssuedProduct.objects.exists()
    (session,), totals = day_worklist(timezone.localdate(first.starts_at))
    assert "Awaiting approval" in session.problem and not session.lines and not totals
    assert printing.sheet_data(course).watermark == str(printing.AWAITING_APPROVAL)
    assert printing.slip_data(first, printing.plans.order_for(course)).watermark == str(printing.AWAITING_APPROVAL)

    # In order: the senior physician, then the head; medical affairs cannot go before the head.
    _approve(approvers["senior"], course, "senior")
    assert "Department head approves first" in _messages(
        _approve(approvers["medical_affairs"], course, "medical_affairs")
    )
    _approve(approvers["head"], course, "head")
    assert "Awaiting approval (Medical affairs office)" in _messages(_issue_plasma(bloodbank, first))
    assert not IssuedProduct.objects.exists()

    _approve(approvers["medical_affairs"], course, "medical_affairs")
    state = approvals.status(course)
    assert state.complete and state.releasable
    assert [(s.step, s.approval.approved_by) for s in state.steps] == [
        ("senior", approvers["senior"]),
        ("head", approvers["head"]),
        ("medical_affairs", approvers["medical_affairs"]),
    ]
    assert all(a.band == 3 and a.day_total_ml == 2894 for a in Approval.objects.all())
    # Each step is in the audit trail, with who gave it.
    assert [h.history_user for h in Approval.history.order_by("history_date")] == [
        approvers["senior"],
        approvers["head"],
        approvers["medical_affairs"],
    ]
    _issue_plasma(bloodbank, first)
    assert IssuedProduct.objects.count() == 1
    (session,), _totals = day_worklist(timezone.localdate(first.starts_at))
    assert not session.problem and session.lines[0].ordered == 29  # 29 units of 100 mL
    assert printing.sheet_data(course).watermark == ""


@pytest.mark.usefixtures("approvals_on")
def test_the_requester_never_approves_and_one_person_gives_one_step(
    example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    physician.groups.add(*Group.objects.filter(name__in=roles.APPROVAL_ROLES.values()))
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    response = _approve(physician, course, "senior")
    assert "cannot approve it" in _messages(response)
    assert not Approval.objects.exists()

    both = approvers["senior"]
    both.groups.add(approvers["head"].groups.get())
    _approve(both, course, "senior")
    assert "each step is a different person" in _messages(_approve(both, course, "head"))
    assert list(Approval.objects.values_list("step", flat=True)) == ["senior"]
    assert "already approved" in _messages(_approve(approvers["senior"], course, "senior"))


@pytest.mark.usefixtures("approvals_on")
def test_a_higher_day_total_asks_the_higher_approvals_again(
    settings: object, example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    settings.APPROVAL_THRESHOLDS_ML = (1000, 1600)
    first = signed(physician, example_a, sessions_count="1", **LAST_THIRD_PLASMA)
    state = approvals.status(first)
    assert (state.highest_ml, state.band) == (964, 1)  # 963.8 mL of plasma: under 1,000 mL
    _approve(approvers["senior"], first, "senior")
    assert approvals.status(first).complete

    # A second order the same day: the day now holds 964 + 964 = 1,928 mL, from 1,600 mL.
    day = timezone.localdate(first.procedures.get().starts_at)
    second = signed(physician, example_a, sessions_count="1", first_on=day.isoformat(), **LAST_THIRD_PLASMA)
    assert timezone.localdate(second.procedures.get().starts_at) == day
    for course in (first, second):
        state = approvals.status(course)
        assert (state.highest_ml, state.band) == (1928, 3)
        # The senior physician's approval was for a lower band: needed again, with the higher steps.
        assert [s.step for s in state.outstanding] == ["senior", "head", "medical_affairs"]
        assert not state.releasable


@pytest.mark.usefixtures("approvals_on")
def test_a_session_replan_that_adds_plasma_needs_approval(
    example_a: Patient, physician: User, nurse: User, bloodbank: User
) -> None:
    course = signed(physician, example_a, sessions_count="1")  # all albumin: nothing counted
    assert not approvals.status(course).required
    session = course.procedures.get()
    # That day's fibrinogen is under the 1.0 g/L trigger: the session's re-plan gives the last third as plasma.
    logged_in(nurse).post(reverse("procedure-fibrinogen", args=[session.pk]), {"fibrinogen_g_per_l": "0.8"})
    session.refresh_from_db()
    plasma_ml = session.fluid_plan["replacement"]["plasma_ml"]
    assert plasma_ml > 0
    state = approvals.status(course)
    assert (state.highest_ml, state.band) == (plasma_ml, approvals.band(plasma_ml))
    assert state.band >= 1 and not state.releasable
    assert "Awaiting approval" in _messages(_issue_plasma(bloodbank, session))


@pytest.mark.usefixtures("approvals_on")
def test_an_amendment_in_the_same_band_keeps_its_approvals(
    example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    for step in ("senior", "head", "medical_affairs"):
        _approve(approvers[step], course, step)
    client = logged_in(physician)
    client.post(
        reverse("course-amend", args=[course.pk]),
        form_data(sessions_count="1", amendment_reason="Calcium infusion changed", **ALL_PLASMA),
    )
    amendment = Course.objects.get(previous=course)
    sign(client, amendment)
    amendment.refresh_from_db()
    assert amendment.status == Course.Status.SIGNED
    state = approvals.status(amendment)
    assert state.band == 3 and state.complete  # kept on the order's first version
    assert Approval.objects.filter(order=course).count() == 3


@pytest.mark.usefixtures("approvals_on")
def test_an_emergency_order_is_issued_at_once_and_approved_afterwards(
    example_a: Patient, physician: User, bloodbank: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", urgency="emergency", **ALL_PLASMA)
    state = approvals.status(course)
    assert state.emergency and state.releasable and not state.complete
    _issue_plasma(bloodbank, course.procedures.get())
    assert IssuedProduct.objects.count() == 1
    page = logged_in(approvers["senior"]).get(course.get_absolute_url()).content.decode()
    assert "Emergency: approvals to be completed afterwards" in page
    _approve(approvers["senior"], course, "senior")
    assert Approval.objects.count() == 1


def test_without_the_setting_nothing_waits_and_nothing_is_approved(
    example_a: Patient, physician: User, bloodbank: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    assert not approvals.status(course).required
    assert "does not use approvals" in _messages(_approve(approvers["senior"], course, "senior"))
    _issue_plasma(bloodbank, course.procedures.get())
    assert IssuedProduct.objects.count() == 1
    assert (
        "Approval of blood-product volume" not in logged_in(physician).get(course.get_absolute_url()).content.decode()
    )


@pytest.mark.usefixtures("approvals_on")
def test_who_may_approve(example_a: Patient, physician: User, nurse: User, approvers: dict[str, User]) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    assert _approve(nurse, course, "senior").status_code == 403
    # A role's permission is for its own step only.
    assert "may not approve as Department head" in _messages(_approve(approvers["senior"], course, "head"))
    # The approvers are protected accounts: only a superuser grants or changes them.
    protected = set(User.objects.filter(roles.protected_accounts()).values_list("username", flat=True))
    assert {user.username for user in approvers.values()} <= protected
    page = logged_in(approvers["senior"]).get(course.get_absolute_url()).content.decode()
    assert 'name="step" value="senior"' in page and 'value="head"' not in page


@pytest.mark.usefixtures("approvals_on")
def test_approvals_are_never_changed_or_deleted(
    example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    _approve(approvers["senior"], course, "senior")
    approval = Approval.objects.get()
    approval.band = 1
    with pytest.raises(IntegrityError), transaction.atomic():
        approval.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM planner_approval")
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.update(approved_by=approvers["head"])
    assert Approval.objects.get().approved_by == approvers["senior"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")
@pytest.mark.usefixtures("approvals_on")
def test_the_order_pdf_has_each_approvers_box_with_name_and_time(
    example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    waiting = _pdf_text(printing.order_sheet_pdf(course))
    assert "AWAITING APPROVAL" in waiting and waiting.count("awaiting approval") == 3
    for step in ("senior", "head", "medical_affairs"):
        _approve(approvers[step], course, step)
    with override("zh-hans"):
        text = _pdf_text(printing.order_sheet_pdf(course))
    for step in ("senior", "head", "medical_affairs"):
        approval = Approval.objects.get(step=step)
        assert approval.approved_by.get_full_name() in text
        assert timezone.localtime(approval.approved_at).strftime("%Y-%m-%d %H:%M") in text
    for words in ("用血量审批", "上级医师", "科室主任", "医务部门", "申请医师（签署）", "2894 mL"):
        assert words in text
    assert "待审批" not in text


# --- Consents ----------------------------------------------------------------------------------


def _start(user: User, procedure: Procedure) -> object:
    started = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    return logged_in(user).post(
        reverse("procedure-record", args=[procedure.pk]),
        {
            "outcome": "in_progress",
            "started_at": started.strftime("%Y-%m-%d %H:%M"),
            "consent_confirmed": "on",
            "access_working": "on",
        },
    )


def _consent(user: User, course: Course, kind: str, state: str = "signed", **extra: str) -> object:
    data = {"kind": kind, "state": state, "signer": "", "signed_at": "", "note": "", **extra}
    if state == "signed":
        data["signer"] = data["signer"] or "the patient"
        data["signed_at"] = data["signed_at"] or (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return logged_in(user).post(reverse("consent-create", args=[course.pk]), data)


def test_a_session_cannot_start_without_consent(settings: object, procedure: Procedure, nurse: User) -> None:
    settings.CONSENTS_REQUIRED = True
    response = _start(nurse, procedure)
    assert response.status_code == 200
    assert "cannot start without: Procedure consent" in response.content.decode()
    assert not SessionRecord.objects.filter(procedure=procedure, started_at__isnull=False).exists()

    _consent(nurse, procedure.course, "procedure", signer="the patient")
    assert _start(nurse, procedure).status_code == 302
    assert SessionRecord.objects.get(procedure=procedure).started_at is not None
    consent = Consent.objects.get()
    assert (consent.kind, consent.state, consent.signer, consent.recorded_by) == (
        "procedure",
        "signed",
        "the patient",
        nurse,
    )


def test_without_the_setting_a_session_starts_as_before(procedure: Procedure, nurse: User) -> None:
    assert _start(nurse, procedure).status_code == 302
    assert SessionRecord.objects.get(procedure=procedure).started_at is not None


def test_plasma_and_a_central_line_need_their_consents(example_a: Patient, physician: User) -> None:
    course = signed(physician, example_a, sessions_count="1", vascular_access="central_femoral", **LAST_THIRD_PLASMA)
    order = printing.plans.order_for(course)
    assert consents.needed(course, order) == ["procedure", "transfusion", "central_catheter"]
    albumin = signed(physician, example_a, sessions_count="1", first_on=form_data()["first_on"])
    assert consents.needed(albumin, printing.plans.order_for(albumin)) == ["procedure"]


def test_the_emergency_path_needs_a_note_and_lets_the_session_start(
    settings: object, procedure: Procedure, nurse: User
) -> None:
    settings.CONSENTS_REQUIRED = True
    _consent(nurse, procedure.course, "procedure", state="emergency")
    assert not Consent.objects.exists()  # no note: refused
    _consent(nurse, procedure.course, "procedure", state="emergency", note="Unconscious; reported to 总值班 at 02:10")
    assert Consent.objects.get().state == "emergency"
    assert _start(nurse, procedure).status_code == 302


def test_a_signed_consent_says_who_and_when_and_the_latest_record_stands(
    settings: object, procedure: Procedure, nurse: User
) -> None:
    settings.CONSENTS_REQUIRED = True
    response = logged_in(nurse).post(
        reverse("consent-create", args=[procedure.course.pk]),
        {"kind": "procedure", "state": "signed", "signer": "", "signed_at": "", "note": ""},
    )
    assert "Who signed" in _messages(response) and not Consent.objects.exists()
    _consent(nurse, procedure.course, "procedure")
    _consent(nurse, procedure.course, "procedure", state="not_signed")  # withdrawn
    assert Consent.objects.count() == 2
    assert consents.missing(procedure.course, printing.plans.order_for(procedure.course)) == ["Procedure consent"]
    assert "cannot start without" in _start(nurse, procedure).content.decode()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE planner_consent SET state = 'signed'")


def test_the_blood_bank_may_not_record_consents(settings: object, procedure: Procedure, bloodbank: User) -> None:
    settings.CONSENTS_REQUIRED = True
    assert _consent(bloodbank, procedure.course, "procedure").status_code == 403


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")
def test_the_order_and_the_run_sheet_show_the_consents(settings: object, procedure: Procedure, nurse: User) -> None:
    settings.CONSENTS_REQUIRED = True
    _consent(nurse, procedure.course, "procedure", signer="Wang Xiuying (daughter)")
    for pdf in (printing.order_sheet_pdf(procedure.course), printing.run_sheet_pdf(procedure)):
        text = _pdf_text(pdf)
        assert "Procedure consent" in text and "Wang Xiuying (daughter)" in text
    page = logged_in(nurse).get(reverse("procedure-record", args=[procedure.pk])).content.decode()
    assert "Wang Xiuying (daughter)" in page


# --- Two-person checks and named signers ------------------------------------------------------


@pytest.fixture
def checks_on(settings: object) -> None:
    settings.TWO_PERSON_CHECKS = True


@pytest.fixture
def issued_albumin(procedure: Procedure, bloodbank: User) -> IssuedProduct:
    record = SessionRecord.objects.create(procedure=procedure, recorded_by=bloodbank)
    return IssuedProduct.objects.create(
        record=record, product=Product.objects.get(name=ALBUMIN_20), lot_number="ALB-7", quantity=6, issued_by=bloodbank
    )


def _check(user: User, issued: IssuedProduct, username: str, password: str = PASSWORD) -> object:
    return logged_in(user).post(
        reverse("bedside-check", args=[issued.pk]), {"second_username": username, "second_password": password}
    )


@pytest.mark.usefixtures("checks_on")
def test_the_second_check_cannot_be_the_same_user(nurse: User, issued_albumin: IssuedProduct) -> None:
    assert "another person, not by you" in _messages(_check(nurse, issued_albumin, nurse.username))
    assert not BedsideCheck.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        BedsideCheck.objects.create(
            issued=issued_albumin, record=issued_albumin.record, first_by=nurse, second_by=nurse
        )


@pytest.mark.usefixtures("checks_on")
def test_the_second_person_confirms_with_their_own_password(
    nurse: User, physician: User, bloodbank: User, issued_albumin: IssuedProduct
) -> None:
    colleague = make_user(username="nurse-two", role=roles.NURSE)
    assert "not right" in _messages(_check(nurse, issued_albumin, colleague.username, "wrong"))
    assert AccessAttempt.objects.filter(username="nurse-two").exists()  # counted as a failed login
    # The blood bank's user cannot be the bedside's second person.
    assert "may not make this check" in _messages(_check(nurse, issued_albumin, bloodbank.username))
    # Given only after the check.
    given = reverse("issued-product-given", args=[issued_albumin.pk])
    assert "second person" in _messages(logged_in(nurse).post(given, {"quantity_given": "6"}))
    _check(nurse, issued_albumin, colleague.username)
    check = BedsideCheck.objects.get()
    assert (check.first_by, check.second_by, check.issued) == (nurse, colleague, issued_albumin)
    logged_in(nurse).post(given, {"quantity_given": "6"})
    issued_albumin.refresh_from_db()
    assert issued_albumin.quantity_given == 6
    page = logged_in(physician).get(reverse("procedure-record", args=[issued_albumin.record.procedure_id]))
    assert "Checked at the bedside by nurse and nurse-two" in page.content.decode()
    # The blood bank has no bedside check to make.
    assert _check(bloodbank, issued_albumin, colleague.username).status_code == 403


@pytest.mark.usefixtures("checks_on")
def test_the_blood_bank_names_who_cross_matched_and_who_re_checked(
    example_a: Patient, physician: User, bloodbank: User
) -> None:
    course = signed(physician, example_a, sessions_count="1", **LAST_THIRD_PLASMA)
    session = course.procedures.get()
    colleague = make_user(username="bloodbank-two", role=roles.BLOOD_BANK)
    response = _issue_plasma(bloodbank, session, recheck_username=colleague.username, recheck_password=PASSWORD)
    assert "cross-matched" in response.content.decode() and not IssuedProduct.objects.exists()
    signers = {"crossmatched_by": colleague.pk, "recheck_username": bloodbank.username, "recheck_password": PASSWORD}
    assert "another person, not by you" in _messages(_issue_plasma(bloodbank, session, **signers))
    assert not IssuedProduct.objects.exists()
    signers["recheck_username"] = colleague.username
    _issue_plasma(bloodbank, session, **signers)
    issued = IssuedProduct.objects.get()
    assert (issued.issued_by, issued.crossmatched_by, issued.rechecked_by) == (bloodbank, colleague, colleague)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedProduct.objects.filter(pk=issued.pk).update(rechecked_by=bloodbank)
    slip = printing.slip_data(session, printing.plans.order_for(course))
    assert slip.issued == [issued]


# --- The usual number of sessions -------------------------------------------------------------


def test_more_sessions_than_usual_need_a_reason(patient: Patient, physician: User) -> None:
    assert pemphigus().default_sessions == 5
    response = logged_in(physician).post(reverse("course-create", args=[patient.pk]), form_data(sessions_count="7"))
    assert response.status_code == 200 and not Course.objects.exists()
    assert "usual course for this indication is 5 sessions" in response.content.decode()
    reason = "Anti-Dsg3 still rising after 5 sessions"
    course = signed(physician, patient, sessions_count="7", sessions_extension_reason=reason)
    assert course.status == Course.Status.SIGNED
    assert course.frozen_plan["catalogue"]["indication"]["default_sessions"] == 5
    page = logged_in(physician).get(course.get_absolute_url()).content.decode()
    assert reason in page and "usual course 5" in page
    assert course.history.filter(sessions_extension_reason=reason).exists()
    if shutil.which("pdftotext"):
        assert reason in _pdf_text(printing.order_sheet_pdf(course)).replace("\n", " ")


def test_a_row_with_no_usual_course_sets_no_limit(patient: Patient, physician: User) -> None:
    Indication.objects.filter(pk=pemphigus().pk).update(default_sessions=0)
    course = signed(physician, patient, sessions_count="12")
    assert course.status == Course.Status.SIGNED


def test_signing_checks_the_limit_again(patient: Patient, physician: User) -> None:
    course = booked(physician, patient, sessions_count="5")
    Indication.objects.filter(pk=pemphigus().pk).update(default_sessions=3)  # the catalogue changed since
    response = sign(logged_in(physician), course)
    assert "usual course for this indication is 3 sessions" in _messages(response)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


# --- What a hostile review found (each of these passed before the fix) --------------------------


def test_a_record_opened_by_the_blood_bank_does_not_let_the_session_start_without_consent(
    settings: object, procedure: Procedure, nurse: User, bloodbank: User
) -> None:
    settings.CONSENTS_REQUIRED = True
    # The blood bank issues before check-in: that opens the record, with no start time yet.
    albumin = Product.objects.get(name=ALBUMIN_20)
    logged_in(bloodbank).post(
        reverse("issued-product-create", args=[procedure.pk]),
        {"product": albumin.pk, "lot_number": "A1", "quantity": "2"},
    )
    assert SessionRecord.objects.filter(procedure=procedure, started_at__isnull=True).exists()
    assert "cannot start without" in _start(nurse, procedure).content.decode()
    assert SessionRecord.objects.get(procedure=procedure).started_at is None


def test_nothing_is_issued_for_a_draft_or_a_cancelled_order(patient: Patient, physician: User, bloodbank: User) -> None:
    draft = booked(physician, patient, sessions_count="2")
    response = _issue_plasma(bloodbank, draft.procedures.first())
    assert "not signed" in _messages(response) and not IssuedProduct.objects.exists()
    course = signed(physician, patient, sessions_count="2", first_on=form_data()["first_on"])
    logged_in(physician).post(reverse("course-cancel", args=[course.pk]), {"reason": "Diagnosis revised"})
    course.refresh_from_db()
    assert course.status == Course.Status.CANCELLED
    assert "cancelled" in _messages(_issue_plasma(bloodbank, course.procedures.first()))
    assert not IssuedProduct.objects.exists()


@pytest.mark.usefixtures("approvals_on")
def test_no_more_plasma_is_issued_than_the_approved_plan_gives(
    example_a: Patient, physician: User, bloodbank: User, approvers: dict[str, User]
) -> None:
    albumin_only = signed(physician, example_a, sessions_count="1")
    response = _issue_plasma(bloodbank, albumin_only.procedures.get(), quantity="30")
    assert "approved plan gives 0 mL" in _messages(response) and not IssuedProduct.objects.exists()

    course = signed(physician, example_a, sessions_count="1", first_on=form_data()["first_on"], **ALL_PLASMA)
    for step in ("senior", "head", "medical_affairs"):
        _approve(approvers[step], course, step)
    session = course.procedures.get()
    # 2894 mL planned: 29 units of 100 mL (2900 mL) may go, in two issues; a 30th may not.
    _issue_plasma(bloodbank, session, quantity="20")
    _issue_plasma(bloodbank, session, quantity="9", lot_number="P-0002")
    assert "2894 mL; 3000 mL would be issued" in _messages(_issue_plasma(bloodbank, session, quantity="1"))
    assert sum(IssuedProduct.objects.values_list("quantity", flat=True)) == 29


@pytest.mark.usefixtures("approvals_on")
def test_the_requesters_own_approval_of_an_earlier_version_does_not_count(
    example_a: Patient, physician: User, approvers: dict[str, User]
) -> None:
    senior = approvers["senior"]
    course = signed(physician, example_a, sessions_count="1", **ALL_PLASMA)
    _approve(senior, course, "senior")
    # The senior physician, who also prescribes, amends and signs the order in the same band.
    senior.groups.add(Group.objects.get(name=roles.PHYSICIAN))
    client = logged_in(senior)
    client.post(
        reverse("course-amend", args=[course.pk]),
        form_data(sessions_count="1", amendment_reason="Second look", **ALL_PLASMA),
    )
    amendment = Course.objects.get(previous=course)
    sign(client, amendment)
    state = approvals.status(Course.objects.get(pk=amendment.pk))
    assert [s.step for s in state.outstanding][0] == "senior"


@pytest.mark.usefixtures("checks_on")
def test_a_locked_colleague_is_told_as_such_and_the_nurse_stays_on_the_page(
    settings: object, nurse: User, issued_albumin: IssuedProduct
) -> None:
    colleague = make_user(username="nurse-three", role=roles.NURSE)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _check(nurse, issued_albumin, colleague.username, "wrong")
    response = _check(nurse, issued_albumin, colleague.username)  # the right password, too late
    assert response.status_code == 302
    assert "locked after too many failed attempts" in _messages(response)
    assert not BedsideCheck.objects.exists()
    # The nurse is still logged in and working.
    assert (
        logged_in(nurse).get(reverse("procedure-record", args=[issued_albumin.record.procedure_id])).status_code == 200
    )


@pytest.mark.usefixtures("approvals_on")
def test_the_blood_banks_day_reads_the_approvals_in_a_fixed_number_of_queries(
    unit: None, physician: User, bloodbank: User
) -> None:
    counts = []
    for n in range(3):
        patient = make_measured_patient(by=physician, mrn=f"Q-{n}", family_name=f"Q{n}")
        signed(physician, patient, sessions_count="1", **ALL_PLASMA)
        with CaptureQueriesContext(connection) as queries:
            page = logged_in(bloodbank).get(reverse("today"), {"on": form_data()["first_on"]})
        assert all("Awaiting approval" in session.problem for session in page.context["sessions"])
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts
