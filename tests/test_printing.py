"""Printed orders: the PDF's text (pdftotext), its pages, the draft watermark, the slip and the day batch."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner import printing
from planner.core.blood_groups import compatible_plasma
from planner.models import Course
from tests import workflow
from tests.conftest import logged_in
from tests.workflow import create, next_monday

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed: apt-get install poppler-utils"
)


def text_of(pdf: bytes) -> str:
    """The PDF's text with whitespace folded (numbers are grouped with narrow no-break spaces)."""
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture
def signed(patient: object, physician: User) -> Course:
    return workflow.signed(
        physician, patient, albumin_fraction="0.667", plasma_fraction="0.333", fluid_override_reason="Biopsy"
    )


def test_the_order_sheet_carries_patient_numbers_fluids_and_schedule(signed: Course, nurse: User) -> None:
    response = logged_in(nurse).get(reverse("course-order-pdf", args=[signed.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert signed.patient.mrn not in response["Content-Disposition"]
    text = text_of(response.content)
    for expected in (
        "王秀英",
        signed.patient.mrn,
        "A+" if signed.patient.abo_group else "not known",
        f"Order {signed.pk}",
        "Pemphigus vulgaris",
        "category III",
        "individualised decision",
        "3 507 mL",
        "Proposal overridden by the physician: Biopsy",
        "never sterile water",
        "(last)",  # plasma, given last
        "ABO-compatible groups",
        "Ordering physician",
        "Blood bank verifier",
        "Nurse",
        "Stop if no response",
        "Fibrinogen below 1 g/L",
    ):
        assert expected in text, expected
    first_session = timezone.localtime(signed.procedures.order_by("number").first().starts_at)
    assert first_session.strftime("%Y-%m-%d %H:%M") in text
    assert "DRAFT" not in text
    assert pages_of(response.content) == 2


def test_an_unsigned_draft_prints_a_watermark_on_every_page(patient: object, physician: User) -> None:
    create(physician, patient)
    pdf = printing.order_sheet_pdf(Course.objects.get())
    text = text_of(pdf)
    assert text.count("DRAFT — not valid for use") == pages_of(pdf)


def test_the_issue_slip_prepares_that_sessions_fluids(signed: Course, physician: User, nurse: User) -> None:
    third = signed.procedures.order_by("number")[2]
    logged_in(nurse).post(reverse("procedure-fibrinogen", args=[third.pk]), {"fibrinogen_g_per_l": "0.7"})
    first_text = text_of(
        logged_in(nurse).get(reverse("procedure-slip-pdf", args=[signed.procedures.first().pk])).content
    )
    third_text = text_of(logged_in(nurse).get(reverse("procedure-slip-pdf", args=[third.pk])).content)
    assert "Issue slip — session 1 of 5" in first_text
    groups = ", ".join(compatible_plasma(signed.patient.abo_group))
    assert f"Fresh frozen plasma 100 mL unit groups {groups}" in first_text
    assert "For this session, from fibrinogen 0.7 g/L" in third_text


def test_the_day_batch_has_a_sheet_and_a_slip_for_each_session(signed: Course, nurse: User) -> None:
    day = timezone.localtime(signed.procedures.order_by("number").first().starts_at).date()
    response = logged_in(nurse).get(reverse("day-batch-pdf"), {"on": day.isoformat()})
    text = text_of(response.content)
    assert text.count("Therapeutic plasma exchange order") == 1
    assert text.count("Issue slip — session 1 of 5") == 1
    assert pages_of(response.content) == 3


def test_an_empty_day_prints_a_page_that_says_so(unit: None, nurse: User) -> None:
    response = logged_in(nurse).get(reverse("day-batch-pdf"), {"on": (next_monday() + timedelta(days=300)).isoformat()})
    assert "Nothing is booked for" in text_of(response.content)


@pytest.mark.parametrize(
    ("recipient", "plasma"),
    [("O", ("O", "A", "B", "AB")), ("A", ("A", "AB")), ("B", ("B", "AB")), ("AB", ("AB",)), ("", ("AB",))],
)
def test_plasma_compatibility_runs_opposite_to_red_cells(recipient: str, plasma: tuple[str, ...]) -> None:
    assert compatible_plasma(recipient) == plasma


def test_the_pdf_template_loads_nothing_over_http() -> None:
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "templates" / "pdf" / "documents.html").read_text()
    assert "http://" not in template and "https://" not in template
    assert 'href="static/pdf/print.css"' in template


def test_a_course_without_inputs_is_a_message_not_an_error(patient: object, physician: User) -> None:
    create(physician, patient)
    draft = Course.objects.get()
    Course.objects.filter(pk=draft.pk).update(inputs={})  # a draft may still change; a signed course may not
    response = logged_in(physician).get(reverse("course-order-pdf", args=[draft.pk]), follow=True)
    assert "has no recorded weight_kg" in response.content.decode()
