"""The course projection is part of the order: the form's live panel, the course page and the PDF say it.

The issue's patient: fibrinogen 1.4 g/L, 5 × 1.0 plasma volume of albumin every other day. The
calculator warned that fibrinogen falls under 1 g/L before session 2; the course form, page and
signed PDF said nothing. Now each shows the projection, warns by session number, and plans the
last third as plasma for the sessions projected under the trigger (or asks for a reason to decline).
"""

import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner.models import Course, Indication, Patient
from tests.conftest import logged_in
from tests.factories import make_measurement
from tests.workflow import create, form_data, signed


@pytest.fixture
def low_fibrinogen(patient: Patient, physician: User) -> Patient:
    make_measurement(
        patient=patient,
        by=physician,
        taken_at=timezone.now() - timedelta(hours=2),
        fibrinogen_g_per_l=Decimal("1.4"),
        igg_g_per_l=Decimal("13.2"),
        marker_name="anti-Dsg3",
        marker_value="152 U/mL",
        marker_is_igg_antibody=True,
    )
    return patient


def _live(physician: User, patient: Patient, **changes: object) -> str:
    response = logged_in(physician).post(
        reverse("course-create", args=[patient.pk]), form_data(**changes), headers={"HX-Request": "true"}
    )
    return response.content.decode()


def test_the_course_form_warns_by_session_and_proposes_plasma_for_those_sessions(
    low_fibrinogen: Patient, physician: User
) -> None:
    body = _live(physician, low_fibrinogen)
    assert "Fibrinogen is projected under the 1 g/L trigger before session 2" in body
    assert "plasma is planned for sessions 2, 3, 4, 5" in body
    assert "Session 2:</strong> Fibrinogen projected at 0.81 g/L before this session" in body
    assert "The course as scheduled" in body
    # IgG and the IgG marker, in their own units: 13.2 g/L, and anti-Dsg3 152 U/mL falling as IgG does.
    assert "13.2 → 4.9" in body
    assert "anti-Dsg3 after (U/mL)" in body


def test_declining_the_plasma_for_low_sessions_needs_a_reason(low_fibrinogen: Patient, physician: User) -> None:
    create(physician, low_fibrinogen, plasma_for_low_fibrinogen="")
    assert not Course.objects.exists()
    create(
        physician,
        low_fibrinogen,
        plasma_for_low_fibrinogen="",
        fluid_override_reason="Fibrinogen is measured before each session; plasma is short this week.",
    )
    course = Course.objects.get()
    assert not course.plasma_for_low_fibrinogen


def test_the_course_page_and_the_sessions_show_what_is_planned_for_each(
    low_fibrinogen: Patient, physician: User, nurse: User
) -> None:
    course = signed(physician, low_fibrinogen)
    page = logged_in(nurse).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "Course projection, as signed" in page
    assert 'data-code="fibrinogen_projected_below_trigger"' in page
    assert 'data-planned-session="2"' in page and 'data-planned-session="1"' not in page
    record = logged_in(nurse).get(reverse("procedure-record", args=[course.procedures.get(number=2).pk]))
    assert "This session: albumin 0.667 · plasma 0.333 (last)" in record.content.decode()


def test_plasma_avoided_proposes_a_delay_and_never_plasma(low_fibrinogen: Patient, physician: User) -> None:
    hus = Indication.objects.get(indication="pneumococcal HUS")
    body = _live(physician, low_fibrinogen, indication=hus.pk, pattern="daily", sessions_count="3")
    assert "plasma is avoided for this indication: lengthen the interval or delay sessions 2, 3" in body
    assert "plasma added" not in body


def _pdf_text(pdf: bytes) -> str:
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Course projection", "before session 3 (0.997 g/L)", "plasma is planned for sessions 3, 4, 5"]),
        ("zh-hans", ["疗程预测", "第 3 次治疗前", "0.997"]),
    ],
)
def test_the_signed_pdf_of_a_daily_course_shows_the_projection_and_the_warning(
    patient: Patient, physician: User, language: str, words: list[str], tmp_path: object
) -> None:
    """The issue's example: daily pemphigus course from 3.0 g/L, under the trigger before session 3."""
    make_measurement(
        patient=patient, by=physician, taken_at=timezone.now() - timedelta(hours=1), fibrinogen_g_per_l=Decimal("3.0")
    )
    course = signed(physician, patient, pattern="daily", weekdays="")
    client = logged_in(physician)
    client.cookies["django_language"] = language
    pdf = client.get(reverse("course-order-pdf", args=[course.pk])).content
    text = _pdf_text(pdf)
    for word in words:
        assert word in text, word
    assert re.search(r"(Sessions|第) ?3, 4, 5", text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")
def test_a_plasma_avoided_order_tells_the_ward_to_delay_not_to_give_plasma(
    low_fibrinogen: Patient, physician: User
) -> None:
    hus = Indication.objects.get(indication="pneumococcal HUS")
    course = signed(physician, low_fibrinogen, indication=hus.pk, pattern="daily", sessions_count="3")
    text = _pdf_text(logged_in(physician).get(reverse("course-order-pdf", args=[course.pk])).content)
    assert "Fibrinogen below 1 g/L: delay the session (plasma is avoided for this indication)." in text
    assert "part or all plasma" not in text
    assert "Plasma is avoided for this indication (donor plasma carries anti-T antibodies)" in text
