"""Issue 14: the bedside record is reconciled with the booking, the order and what the blood bank issued.

The reproductions: a session recorded before its appointment; 800 mL of plasma "given" on an
albumin-only order with no plasma issued; 1,550 mL of 5 % albumin recorded against 6 vials of
20 % 10 g/50 mL (60 g make 1,200 mL) — none was flagged.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner import records
from planner.models import IssuedProduct, Procedure, Product, SessionRecord
from tests.conftest import logged_in
from tests.test_records import record

ALBUMIN_20 = "Human albumin 20 % 10 g/50 mL"
PLASMA_UNIT = "Fresh frozen plasma 100 mL unit"


def _issue(user: User, procedure: Procedure, product: str, quantity: int, **extra: str) -> IssuedProduct:
    chosen = Product.objects.get(name=product)
    logged_in(user).post(
        reverse("issued-product-create", args=[procedure.pk]),
        {"product": chosen.pk, "lot_number": f"L-{quantity}", "quantity": str(quantity), **extra},
    )
    return IssuedProduct.objects.filter(product=chosen).latest("pk")


def _codes(procedure: Procedure) -> set[str]:
    return set(SessionRecord.objects.get(procedure=procedure).deviation_codes.split())


def test_a_session_recorded_before_its_appointment_needs_a_reason(procedure: Procedure, nurse: User) -> None:
    response = record(nurse, procedure, deviation_reason="")
    assert not SessionRecord.objects.exists()
    errors = response.context["form"].errors["deviation_reason"][0]
    assert errors.startswith("Give the reason for: Started ")
    assert "h before the booked" in errors
    record(nurse, procedure, deviation_reason="Moved up: the patient was admitted early.")
    assert _codes(procedure) == {"start_off_booking"}


def test_a_session_still_in_progress_saves_without_the_reason(procedure: Procedure, nurse: User) -> None:
    record(nurse, procedure, outcome="in_progress", ended_at="", deviation_reason="")
    assert _codes(procedure) == {"start_off_booking"}


def test_plasma_given_on_an_albumin_only_order_with_none_issued(procedure: Procedure, nurse: User) -> None:
    page = record(nurse, procedure, albumin_given_ml="1370", plasma_given_ml="800").content.decode()
    assert _codes(procedure) == {"start_off_booking", "fluid_not_ordered", "plasma_beyond_issued"}
    assert "800 mL of plasma given: the order has none for this session." in page
    assert "800 mL of plasma given: 0 mL issued." in page


def test_albumin_recorded_beyond_the_vials_issued(procedure: Procedure, nurse: User, bloodbank: User) -> None:
    issued = _issue(bloodbank, procedure, ALBUMIN_20, 6)
    logged_in(nurse).post(reverse("issued-product-given", args=[issued.pk]), {"quantity_given": "6"})
    page = record(nurse, procedure, albumin_given_ml="1550").content.decode()
    # 6 vials × 10 g = 60 g; at 5 %, 20 mL a gram: 1,200 mL.
    assert "1550 mL of albumin 5 % given: 60 g issued makes 1200 mL." in page
    assert "albumin_beyond_issued" in _codes(procedure)
    record(nurse, procedure, albumin_given_ml="1200")
    assert "albumin_beyond_issued" not in _codes(procedure)


def test_products_issued_and_not_given_when_the_session_ends(
    procedure: Procedure, nurse: User, bloodbank: User
) -> None:
    issued = _issue(bloodbank, procedure, ALBUMIN_20, 12)
    record(nurse, procedure, outcome="in_progress", ended_at="")
    assert "issued_not_given" not in _codes(procedure)  # still running: nothing to return yet
    logged_in(nurse).post(reverse("issued-product-given", args=[issued.pk]), {"quantity_given": "11"})
    page = record(nurse, procedure).content.decode()
    assert f"1 of 12 × {ALBUMIN_20} (lot L-12) issued and not given: return them." in page
    assert "issued_not_given" in _codes(procedure)


def test_the_start_margin_is_a_setting_and_its_edge_is_not_a_deviation(
    procedure: Procedure, nurse: User, settings: object
) -> None:
    booked = timezone.localtime() - timedelta(hours=5)
    Procedure.objects.filter(pk=procedure.pk).update(starts_at=booked, ends_at=booked + timedelta(hours=2))
    on_the_edge = (booked + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    record(nurse, procedure, started_at=on_the_edge, ended_at="", outcome="in_progress")
    assert _codes(procedure) == set()
    past_it = (booked + timedelta(hours=2, minutes=1)).strftime("%Y-%m-%dT%H:%M")
    record(nurse, procedure, started_at=past_it, ended_at="", outcome="in_progress")
    assert _codes(procedure) == {"start_off_booking"}
    settings.START_MARGIN_HOURS = 3
    record(nurse, procedure, started_at=past_it, ended_at="", outcome="in_progress")
    assert _codes(procedure) == set()


def test_no_deviation_code_is_part_of_another() -> None:
    """The review filter finds a code as a substring of the stored codes."""
    codes = list(records.DEVIATION_KINDS)
    assert not [(a, b) for a in codes for b in codes if a != b and a in b]


def test_the_review_list_filters_on_deviations_and_the_csv_carries_them(
    procedure: Procedure, nurse: User, reviewer: User
) -> None:
    record(nurse, procedure, plasma_given_ml="800", albumin_given_ml="1370", deviation_reason="Fibrinogen 0.8")
    reviewer.is_staff = True
    reviewer.save()
    client = logged_in(reviewer)
    changelist = reverse("admin:planner_sessionrecord_changelist")
    assert client.get(changelist, {"deviation": "plasma_beyond_issued"}).context["cl"].result_count == 1
    assert client.get(changelist, {"deviation": "issued_not_given"}).context["cl"].result_count == 0
    assert client.get(changelist, {"deviation": "any"}).context["cl"].result_count == 1
    assert client.get(changelist, {"deviation": "none"}).context["cl"].result_count == 0
    saved = SessionRecord.objects.get()
    export = client.post(changelist, {"action": "export_csv", "_selected_action": [saved.pk]})
    (row,) = csv.DictReader(io.StringIO(export.content.decode()))
    assert row["deviations"] == "fluid_not_ordered plasma_beyond_issued start_off_booking"
    assert row["deviation_reason"] == "Fibrinogen 0.8"


@pytest.mark.parametrize("field", ["albumin_given_ml", "saline_given_ml"])
def test_a_fluid_the_order_gives_is_not_flagged_but_one_it_does_not_is(
    procedure: Procedure, nurse: User, field: str
) -> None:
    record(nurse, procedure, **{field: "100"})
    flagged = "fluid_not_ordered" in _codes(procedure)
    assert flagged == (field == "saline_given_ml")  # the order is albumin only
