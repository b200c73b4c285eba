"""The unit's report on a fixed dataset: every count against a value worked out by hand.

The dataset (built below, in the order the comments give):
- Order A: pemphigus, TPE, signed by physician 1, five sessions on Spectra Optia 1.
  1 completed, 2,800 mL plasma removed; adverse events: citrate mild, hypotension moderate
    (interrupted); deviations "exchange under plan" and "fluid balance off"; 8 of 10 vials of
    albumin 20 % 50 mL (10 g each) given. Started 20 h after signing.
  2 completed, 3,000 mL, 250 mL saline; allergic mild; "fluid balance off"; plasma: 3 of 4 AB
    units and 2 of 2 O units given.
  3 stopped early, 1,200 mL; anaphylaxis severe (stopped); "exchange under plan".
  4 not started (no start time).
  5 no record yet.
- Order B: a second indication, signed by physician 2, three sessions on another device, and a
  fourth cancelled. 1 completed, 3,500 mL, 8 of 8 A units, 2 vials of albumin 25 % 50 mL (12.5 g
  each); started 50 h after signing. 2 completed, 3,600 mL. 3 started, still in progress.
- A draft course booked but never signed: not counted.

By hand, for the whole unit:
  planned 8 (5 + 3; the draft and the cancelled session are not), done 4, stopped 1, not started 1,
  open 2 (A5, B3); started 6 (A1–A3, B1–B3).
  plasma removed 2,800 + 3,000 + 1,200 + 3,500 + 3,600 = 14,100 mL; saline 250 mL.
  albumin 8 + 2 = 10 vials, 8 × 10 + 2 × 12.5 = 105 g; plasma units O 2, A 8, B 0, AB 3 = 13.
  adverse events 4 in 6 started sessions = 66.7 per 100; mild 2 → 33.3, moderate 1 → 16.7,
  severe 1 → 16.7; interrupted or stopped sessions 2 (A1, A3) → 33.3 per 100.
  deviations: exchange under plan 2 (A1, A3), fluid balance off 2 (A1, A2), every other kind 0.
  signing to first start: 20 h and 50 h, median 35.0 h.
By physician: physician 1 has 5 planned, 3 started, 4 events → 133.3 per 100, median 20.0 h;
physician 2 has 3 planned, 3 started, no events → 0.0 per 100, median 50.0 h.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from planner import booking, courses, plans, reports, roles
from planner.models import (
    AdverseEvent,
    Course,
    Device,
    Indication,
    IssuedProduct,
    MonthlyReport,
    Patient,
    Procedure,
    Product,
    SessionAddendum,
    SessionRecord,
)
from tests.conftest import logged_in
from tests.factories import make_user
from tests.workflow import booked, create, form_data, sign, signed


def _record(procedure: Procedure, by: User, **fields: object) -> SessionRecord:
    return SessionRecord.objects.create(procedure=procedure, recorded_by=by, **fields)


def _event(record: SessionRecord, by: User, kind: str, severity: str, **flags: bool) -> None:
    AdverseEvent.objects.create(
        record=record,
        kind=kind,
        severity=severity,
        occurred_at=record.started_at + timedelta(minutes=30),
        action_taken="Slowed the inlet",
        outcome="Resolved",
        recorded_by=by,
        **flags,
    )


def _issue(record: SessionRecord, by: User, product: Product, quantity: int, given: int, abo: str = "") -> None:
    IssuedProduct.objects.create(
        record=record,
        product=product,
        lot_number="L1",
        abo_group=abo,
        quantity=quantity,
        quantity_given=given,
        issued_by=by,
    )


def _second_order(template: Course, *, indication: Indication, device: Device, by: User) -> Course:
    """Order B: order A's inputs for another indication, device and signer, booked and signed."""
    course = Course.objects.get(pk=template.pk)
    course.pk, course.indication, course.device, course.sessions_count = None, indication, device, 4
    course.status, course.signed_by, course.signed_at, course.frozen_plan = Course.Status.DRAFT, None, None, None
    course.albumin_fraction, course.plasma_fraction = Decimal(0), Decimal(1)  # TTP: plasma
    course.fluid_proposal = courses.proposal_json(plans.course_proposal(course))
    course.save()
    booking.book(course, booking.propose(course), by=by)
    return courses.sign(course, by=by, seen_digest=plans.digest(plans.live_plan(course)))


@pytest.fixture
def dataset(patient: Patient, physician: User, nurse: User, bloodbank: User) -> dict[str, object]:
    physician2 = make_user(username="physician2", role=roles.PHYSICIAN)
    physician2.first_name, physician2.last_name = "Second", "Physician"
    physician2.save()
    albumin20 = Product.objects.get(name="Human albumin 20 % 10 g/50 mL")
    albumin25 = Product.objects.get(name="Human albumin 25 % 12.5 g/50 mL")
    plasma = Product.objects.get(kind="plasma", is_default=True)

    a = signed(physician, patient)
    a1, a2, a3, a4, a5 = a.procedures.order_by("number")
    r1 = _record(
        a1,
        nurse,
        started_at=a.signed_at + timedelta(hours=20),
        ended_at=a.signed_at + timedelta(hours=22),
        outcome="completed",
        plasma_removed_ml=2800,
        deviation_codes="exchange_under_plan fluid_balance_off",
    )
    _event(r1, nurse, "citrate", "mild")
    _event(r1, nurse, "hypotension", "moderate", procedure_interrupted=True)
    _issue(r1, bloodbank, albumin20, 10, 8)
    r2 = _record(
        a2,
        nurse,
        started_at=a.signed_at + timedelta(hours=44),
        outcome="completed",
        plasma_removed_ml=3000,
        saline_given_ml=250,
        deviation_codes="fluid_balance_off",
    )
    _event(r2, nurse, "allergic", "mild")
    _issue(r2, bloodbank, plasma, 4, 3, "AB")
    _issue(r2, bloodbank, plasma, 2, 2, "O")
    r3 = _record(
        a3,
        nurse,
        started_at=a.signed_at + timedelta(hours=68),
        outcome="stopped_early",
        outcome_reason="Anaphylaxis",
        plasma_removed_ml=1200,
        deviation_codes="exchange_under_plan",
    )
    _event(r3, nurse, "anaphylaxis", "severe", procedure_stopped=True)
    _record(a4, nurse, outcome="not_started", outcome_reason="Febrile")

    ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic purpura")
    other_device = Device.objects.exclude(pk=a.device_id).get(name="Membrane separator 1")
    b = _second_order(a, indication=ttp, device=other_device, by=physician2)
    b1, b2, b3, b4 = b.procedures.order_by("number")
    Procedure.objects.filter(pk=b4.pk).update(status="cancelled", change_reason="Course shortened")
    rb1 = _record(b1, nurse, started_at=b.signed_at + timedelta(hours=50), outcome="completed", plasma_removed_ml=3500)
    _issue(rb1, bloodbank, plasma, 8, 8, "A")
    _issue(rb1, bloodbank, albumin25, 2, 2)
    _record(b2, nurse, started_at=b.signed_at + timedelta(hours=74), outcome="completed", plasma_removed_ml=3600)
    _record(b3, nurse, started_at=b.signed_at + timedelta(hours=98))

    booked(physician, patient)  # a draft with bookings: not in the report
    first = min(p.starts_at for p in Procedure.objects.all())
    last = max(p.starts_at for p in Procedure.objects.all())
    period = reports.Period(timezone.localtime(first).date() - timedelta(days=5), timezone.localtime(last).date())
    return {"period": period, "a": a, "b": b, "physician2": physician2, "ttp": ttp, "device_b": other_device}


def test_every_count_of_the_unit_matches_the_hand_count(dataset: dict) -> None:
    report = reports.build(dataset["period"], "physician")
    total = report["total"]
    assert (total["planned"], total["done"], total["stopped"], total["not_started"], total["open"]) == (8, 4, 1, 1, 2)
    assert total["started"] == 6
    assert (total["plasma_removed_ml"], total["saline_ml"]) == (14100, 250)
    assert (total["albumin_packages"], total["albumin_g"]) == (10, 105.0)
    assert total["plasma_units"] == {"O": 2, "A": 8, "B": 0, "AB": 3, "": 0}
    assert total["plasma_units_total"] == 13
    assert total["adverse_events"] == 4
    assert total["adverse_events_per_100"] == 66.7
    assert total["adverse_events_per_100_by_severity"] == {"mild": 33.3, "moderate": 16.7, "severe": 16.7}
    assert total["adverse_events_by"] == {
        "citrate:mild": 1,
        "hypotension:moderate": 1,
        "allergic:mild": 1,
        "anaphylaxis:severe": 1,
    }
    assert (total["interrupted"], total["interrupted_per_100"]) == (2, 33.3)
    assert total["deviations"] == {
        "exchange_under_plan": 2,
        "fluid_balance_off": 2,
        "duration_over_estimate": 0,
        "start_off_booking": 0,
        "fluid_not_ordered": 0,
        "albumin_beyond_issued": 0,
        "plasma_beyond_issued": 0,
        "issued_not_given": 0,
        "dfpp_fibrinogen_low": 0,
    }
    assert total["signing_to_first_start_hours"] == [20.0, 50.0]
    assert total["median_signing_to_first_start_hours"] == 35.0


def test_the_rows_split_the_unit_by_physician_and_add_up(dataset: dict) -> None:
    rows = {row["label"]["en"]: row for row in reports.build(dataset["period"], "physician")["rows"]}
    first, second = rows["physician"], rows["Second Physician"]
    assert (first["planned"], first["started"], first["adverse_events"], first["adverse_events_per_100"]) == (
        5,
        3,
        4,
        133.3,
    )
    assert first["median_signing_to_first_start_hours"] == 20.0
    assert (second["planned"], second["started"], second["adverse_events_per_100"]) == (3, 3, 0.0)
    assert second["median_signing_to_first_start_hours"] == 50.0
    assert second["plasma_units"]["A"] == 8 and first["plasma_units"]["AB"] == 3


@pytest.mark.parametrize("dimension", ["indication", "modality", "device"])
def test_each_dimension_splits_the_same_total(dataset: dict, dimension: str) -> None:
    report = reports.build(dataset["period"], dimension)
    by_physician = reports.build(dataset["period"], "physician")["total"]
    for field in ("planned", "done", "started", "plasma_removed_ml", "adverse_events", "interrupted"):
        assert report["total"][field] == by_physician[field]
    planned = sorted(row["planned"] for row in report["rows"])
    assert planned == ([8] if dimension == "modality" else [3, 5])


def test_the_indication_rows_are_named_in_both_languages(dataset: dict) -> None:
    rows = reports.build(dataset["period"], "indication")["rows"]
    ttp = next(row for row in rows if row["planned"] == 3)
    assert ttp["label"]["en"].startswith("Thrombotic thrombocytopenic purpura")
    assert ttp["label"]["zh"] != ttp["label"]["en"]  # the catalogue's Chinese name


def test_a_period_before_the_sessions_counts_nothing(dataset: dict) -> None:
    start = dataset["period"].start - timedelta(days=60)
    report = reports.build(reports.Period(start, start + timedelta(days=10)), "device")
    assert report["rows"] == [] and report["total"]["planned"] == 0
    assert report["total"]["adverse_events_per_100"] is None  # no started session: no rate, not 0


def test_a_period_must_be_a_period() -> None:
    today = timezone.localdate()
    with pytest.raises(reports.ReportError):
        reports.Period(today, today - timedelta(days=1))
    with pytest.raises(reports.ReportError):
        reports.Period(today - timedelta(days=4000), today)


def test_the_query_count_does_not_grow_with_the_data(
    dataset: dict, django_assert_max_num_queries: object, physician: User, nurse: User
) -> None:
    with django_assert_max_num_queries(12) as few:
        reports.build(dataset["period"], "indication")
    before = len(few.captured_queries)
    # Ten more signed, recorded courses.
    for _ in range(3):
        course = signed(physician, dataset["a"].patient)
        for procedure in course.procedures.all():
            _record(procedure, nurse, started_at=course.signed_at + timedelta(hours=1), outcome="completed")
    with django_assert_max_num_queries(before) as after:
        reports.build(dataset["period"], "indication")
    assert len(after.captured_queries) == before


# --- The monthly quality report ----------------------------------------------------------------


@pytest.fixture
def head_nurse(staff_roles: None) -> User:
    return make_user(username="headnurse", role=roles.HEAD_NURSE)


@pytest.fixture
def department_head(staff_roles: None) -> User:
    return make_user(username="depthead", role=roles.APPROVAL_ROLES["head"])


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _this_month() -> reports.Period:
    return reports.Period.month(timezone.localdate().replace(day=1))


def test_a_month_is_prepared_submitted_confirmed_and_then_frozen(
    procedure: Procedure, nurse: User, reviewer: User, head_nurse: User, department_head: User
) -> None:
    # Booked next week by the fixture: moved to last month, which has ended and so can be submitted.
    month = _last_month()
    when = timezone.make_aware(datetime.combine(month + timedelta(days=14), time(9)))
    Procedure.objects.filter(pk=procedure.pk).update(starts_at=when, ends_at=when + timedelta(hours=3))
    record = _record(procedure, nurse, started_at=when, outcome="completed")
    report = reports.prepare(month, by=reviewer)
    assert report.state == "prepared" and report.numbers["indication"]["total"]["started"] == 1
    # Written after the numbers were prepared and before they were confirmed: not in them, so listed.
    SessionAddendum.objects.create(record=record, reason="Late weight", correction="62 kg", written_by=nurse)
    report = reports.submit(report, by=head_nurse, note="Checked against the ward book")
    with pytest.raises(reports.WorkflowError):
        reports.prepare(month, by=reviewer)  # submitted numbers stand
    with pytest.raises(reports.WorkflowError):
        reports.confirm(report, by=head_nurse)  # not who submitted
    report = reports.confirm(report, by=department_head)
    frozen = report.numbers

    # A correction after freezing: the live numbers move, the frozen ones do not, the addendum is listed.
    AdverseEvent.objects.create(
        record=record,
        kind="citrate",
        severity="mild",
        occurred_at=record.started_at,
        action_taken="Calcium",
        outcome="Resolved",
        recorded_by=nurse,
    )
    SessionAddendum.objects.create(record=record, reason="Missed event", correction="Citrate, mild", written_by=nurse)
    report.refresh_from_db()
    assert report.numbers == frozen and report.numbers["indication"]["total"]["adverse_events"] == 0
    live = reports.build(reports.Period.month(month), "indication")
    assert live["total"]["adverse_events"] == 1
    assert [a.reason for a in reports.addenda_after_freezing(report)] == ["Late weight", "Missed event"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE planner_monthlyreport SET numbers = '{}'",
        "UPDATE planner_monthlyreport SET state = 'prepared'",
        "UPDATE planner_monthlyreport SET confirmation_note = 'edited'",
        "DELETE FROM planner_monthlyreport",
    ],
)
def test_the_database_refuses_to_change_a_confirmed_report(
    unit: None, reviewer: User, head_nurse: User, department_head: User, statement: str
) -> None:
    month = _last_month()
    report = reports.confirm(reports.submit(reports.prepare(month, by=reviewer), by=head_nurse), by=department_head)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    report.refresh_from_db()
    assert report.state == "confirmed" and report.confirmation_note == ""


def test_the_database_keeps_a_submitted_reports_numbers(unit: None, reviewer: User, head_nurse: User) -> None:
    month = _last_month()
    report = reports.submit(reports.prepare(month, by=reviewer), by=head_nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).update(numbers={"forged": True})
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).delete()
    # What may still change before confirmation: the confirmation itself.
    assert MonthlyReport.objects.get(pk=report.pk).numbers["modality"]["total"]["planned"] == 0


def test_a_month_not_begun_is_not_reported(unit: None, reviewer: User) -> None:
    with pytest.raises(reports.WorkflowError):
        reports.prepare(timezone.localdate().replace(day=1) + timedelta(days=40), by=reviewer)


def test_a_prepared_report_can_be_refreshed_and_keeps_one_row_per_month(unit: None, reviewer: User) -> None:
    month = timezone.localdate().replace(day=1)
    first = reports.prepare(month, by=reviewer)
    again = reports.prepare(month.replace(day=15) if month.day == 1 else month, by=reviewer)
    assert first.pk == again.pk and MonthlyReport.objects.count() == 1
    assert Decimal(again.numbers["device"]["total"]["planned"]) == 0


def test_an_amended_order_counts_once_from_its_first_signature(patient: Patient, physician: User, nurse: User) -> None:
    """An amendment takes over the booked sessions; the order's first start is counted from the first
    version's signature (30 h), once, and only in a period that holds that first start."""
    client = logged_in(physician)
    create(physician, patient)
    first = Course.objects.get()
    client.post(reverse("course-book", args=[first.pk]))
    sign(client, first)
    first.refresh_from_db()
    client.post(reverse("course-amend", args=[first.pk]), form_data(amendment_reason="Faster taper"))
    amendment = Course.objects.get(previous=first)
    sign(client, amendment)
    one, two = amendment.procedures.order_by("number")[:2]
    _record(one, nurse, started_at=first.signed_at + timedelta(hours=30), outcome="completed")
    _record(two, nurse, started_at=first.signed_at + timedelta(hours=54))
    signed_on = timezone.localtime(first.signed_at).date()
    report = reports.build(reports.Period(signed_on, signed_on + timedelta(days=10)), "physician")
    assert report["total"]["signing_to_first_start_hours"] == [30.0]
    second_start = timezone.localtime(first.signed_at + timedelta(hours=54)).date()
    later = reports.build(reports.Period(second_start, second_start + timedelta(days=10)), "physician")
    assert later["total"]["signing_to_first_start_hours"] == []


def test_one_vial_of_25_percent_albumin_is_12_5_grams(dataset: dict, bloodbank: User) -> None:
    """SQLite stores 25 % as the integer 25: computed there, 1 × 50 × 25 / 100 was 12, not 12.5."""
    record = SessionRecord.objects.filter(procedure__course=dataset["b"], started_at__isnull=False).earliest("pk")
    _issue(record, bloodbank, Product.objects.get(name="Human albumin 25 % 12.5 g/50 mL"), 1, 1)
    total = reports.build(dataset["period"], "physician")["total"]
    assert (total["albumin_packages"], total["albumin_g"]) == (11, 117.5)  # 105 g + 12.5 g


def test_a_month_still_running_is_prepared_but_not_submitted(unit: None, reviewer: User, head_nurse: User) -> None:
    report = reports.prepare(timezone.localdate().replace(day=1), by=reviewer)
    with pytest.raises(reports.WorkflowError, match="once it has ended"):
        reports.submit(report, by=head_nurse)
    report.refresh_from_db()
    assert report.state == "prepared"


@pytest.mark.parametrize(
    ("state", "statement"),
    [
        # Straight from prepared to confirmed, or submitted with other numbers than were prepared.
        ("prepared", "UPDATE planner_monthlyreport SET state = 'confirmed', confirmed_by_id = submitted_by_id"),
        ("prepared", "UPDATE planner_monthlyreport SET state = 'submitted', numbers = '{\"forged\": true}'"),
        # A submission is not rewritten, nor left submitted with changes: it is only confirmed.
        ("submitted", "UPDATE planner_monthlyreport SET submission_note = 'rewritten'"),
        ("submitted", "UPDATE planner_monthlyreport SET submitted_by_id = prepared_by_id"),
        ("submitted", "UPDATE planner_monthlyreport SET prepared_at = submitted_at"),
        # Nor is a report made up already confirmed.
        (
            "submitted",
            "INSERT INTO planner_monthlyreport (month, state, numbers, prepared_by_id, prepared_at, submission_note,"
            " confirmation_note) SELECT '1999-01-01', 'confirmed', numbers, prepared_by_id, prepared_at, '', ''"
            " FROM planner_monthlyreport",
        ),
    ],
)
def test_the_database_moves_a_report_one_way_only(
    unit: None, reviewer: User, head_nurse: User, state: str, statement: str
) -> None:
    report = reports.prepare(_last_month(), by=reviewer)
    if state == "submitted":
        report = reports.submit(report, by=head_nurse, note="Checked")
    before = MonthlyReport.objects.values().get(pk=report.pk)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert MonthlyReport.objects.values().get(pk=report.pk) == before and MonthlyReport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_report_reads_one_snapshot() -> None:
    """Every query of a report (and of a month's every grouping) sees the same data: on PostgreSQL the
    transaction is REPEATABLE READ (its default gives each query its own snapshot)."""
    if connection.vendor != "postgresql":
        pytest.skip("a SQLite transaction reads one snapshot already; the isolation level is PostgreSQL's")
    with reports.one_snapshot(), connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "repeatable read"
    with connection.cursor() as cursor:  # and only there: the next transaction is the default again
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "read committed"
