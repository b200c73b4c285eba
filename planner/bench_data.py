"""A large, fictional dataset for `make bench`: thousands of patients, a hundred thousand sessions.

Rows are bulk-inserted (no audit history: the history tables are not what the pages read), with
bookings laid out so no two overlap on a device, which the database guard would refuse.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from planner.models import (
    AdverseEvent,
    Course,
    Device,
    Indication,
    Measurement,
    Patient,
    Procedure,
    SessionRecord,
)

FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi"]
GIVEN = ["秀英", "伟", "芳", "娜", "敏", "静", "强", "磊", "Anna", "Luis", "Mai", "Chidi", "Jonas", "Giulia"]
SESSIONS_PER_COURSE = 5
SLOT = timedelta(hours=2)
SLOTS_PER_DAY = 4
BATCH = 2000
MARK = "bench data"


def seed(*, patients: int, sessions: int, devices: int = 20, by: User, start: date | None = None) -> dict[str, int]:
    """Add `patients` patients (each with a measurement) and `sessions` booked sessions, half of them recorded."""
    # bandit B311: repeatable fictional bench data, not a secret
    rng = random.Random(20261124)  # nosec B311
    machines = bench_devices(devices)
    # Half the sessions in the past (and recorded), half booked ahead, as in a unit that has run a while.
    span_days = sessions // (len(machines) * SLOTS_PER_DAY) + 1
    start = start or timezone.localdate() - timedelta(days=span_days // 2)
    indications = list(Indication.objects.filter(is_active=True, category__in=["I", "II", "III"]))
    with transaction.atomic():
        first = Patient.objects.count()
        Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"BENCH-{first + n:06d}",
                    family_name=rng.choice(FAMILY),
                    given_name=rng.choice(GIVEN),
                    sex=rng.choice(["female", "male"]),
                    date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60)),
                    created_by=by,
                    updated_by=by,
                )
                for n in range(patients)
            ],
            batch_size=BATCH,
        )
        made = list(Patient.objects.filter(mrn__startswith="BENCH-").order_by("pk"))
        taken_at = timezone.now() - timedelta(days=400)
        Measurement.objects.bulk_create(
            [
                Measurement(
                    patient=patient,
                    taken_at=taken_at,
                    weight_kg=Decimal(rng.randrange(45, 110)),
                    height_cm=Decimal(rng.randrange(150, 195)),
                    haematocrit=Decimal(rng.randrange(30, 48)) / 100,
                    fibrinogen_g_per_l=Decimal("2.5"),
                    entered_by=by,
                    updated_by=by,
                )
                for patient in made
            ],
            batch_size=BATCH,
        )
        # The inputs a real order keeps (weight, height, haematocrit with their times), from the demo's signed order.
        # A signed order carries its frozen plan: the demo's, which was computed from these same inputs.
        demo = Course.objects.exclude(notes=MARK).exclude(inputs={}).filter(frozen_plan__isnull=False).first()
        inputs = demo.inputs if demo else {}
        frozen_plan = demo.frozen_plan if demo else None
        courses_needed = sessions // SESSIONS_PER_COURSE
        now = timezone.now()
        # Each device's slots in order: day by day, SLOTS_PER_DAY two-hour slots from 08:00. Course n runs on
        # device n mod devices, in that device's next free slots.
        next_slot = {machine.pk: 0 for machine in machines}
        zone = timezone.get_current_timezone()
        starts_of: list[list[datetime]] = []
        for n in range(courses_needed):
            device_id = machines[n % len(machines)].pk
            starts = []
            for _number in range(SESSIONS_PER_COURSE):
                slot = next_slot[device_id]
                next_slot[device_id] += 1
                day = start + timedelta(days=slot // SLOTS_PER_DAY)
                starts.append(datetime.combine(day, time(8), tzinfo=zone) + SLOT * (slot % SLOTS_PER_DAY))
            starts_of.append(starts)
        course_rows = []
        for n in range(courses_needed):
            indication = rng.choice(indications)
            course_rows.append(
                Course(
                    patient=made[n % len(made)],
                    indication=indication,
                    status=Course.Status.SIGNED,
                    plasma_volumes=Decimal("1.00"),
                    method="nadler",
                    albumin_fraction=Decimal("1"),
                    plasma_fraction=Decimal("0"),
                    saline_fraction=Decimal("0"),
                    fluid_proposal={"choice": "albumin", "reasons": []},
                    notes=MARK,
                    sessions_count=SESSIONS_PER_COURSE,
                    pattern=Course.Pattern.EVERY_OTHER_DAY,
                    first_on=start,
                    device=machines[n % len(machines)],
                    vascular_access=Course.Access.PERIPHERAL,
                    anticoagulant=Course.Anticoagulant.ACD_A,
                    inputs=inputs,
                    # As signed: the order's projection counts from the sessions booked for it.
                    frozen_plan=(
                        {**frozen_plan, "session_starts": [at.isoformat() for at in starts_of[n]]}
                        if frozen_plan
                        else None
                    ),
                    estimated_duration_min=100,
                    created_by=by,
                    signed_by=by,
                    signed_at=now,
                )
            )
        Course.objects.bulk_create(course_rows, batch_size=BATCH)
        made_courses = list(Course.objects.filter(notes=MARK).order_by("pk").values_list("pk", "device_id"))
        procedures = []
        for (course_id, device_id), starts in zip(made_courses[-courses_needed:], starts_of, strict=True):
            for number, begins in enumerate(starts, start=1):
                procedures.append(
                    Procedure(
                        course_id=course_id,
                        number=number,
                        device_id=device_id,
                        starts_at=begins,
                        ends_at=begins + SLOT - timedelta(minutes=1),
                        updated_by=by,
                    )
                )
        Procedure.objects.bulk_create(procedures, batch_size=BATCH)
        past = Procedure.objects.filter(course__notes=MARK, ends_at__lt=now).values_list("pk", "starts_at", "ends_at")
        SessionRecord.objects.bulk_create(
            [
                SessionRecord(
                    procedure_id=pk,
                    recorded_by=by,
                    consent_confirmed=True,
                    access_working=True,
                    started_at=starts_at,
                    ended_at=ends_at - timedelta(minutes=20),
                    plasma_removed_ml=rng.randrange(2000, 4000),
                    outcome=SessionRecord.Outcome.COMPLETED,
                )
                for pk, starts_at, ends_at in past
            ],
            batch_size=BATCH,
        )
        # An adverse event in about one session of 25, as the WAA registry reports (mild, moderate, severe).
        started = SessionRecord.objects.filter(procedure__course__notes=MARK, started_at__isnull=False)
        kinds, severities = AdverseEvent.Kind.values, ["mild", "mild", "moderate", "moderate", "severe"]
        AdverseEvent.objects.bulk_create(
            [
                AdverseEvent(
                    record_id=pk,
                    kind=rng.choice(kinds),
                    severity=rng.choice(severities),
                    occurred_at=at + timedelta(minutes=30),
                    action_taken="bench",
                    outcome="resolved",
                    procedure_interrupted=rng.random() < 0.5,
                    recorded_by=by,
                )
                for pk, at in started.values_list("pk", "started_at")
                if rng.random() < 0.04
            ],
            batch_size=BATCH,
        )
    if connection.vendor == "postgresql":
        # A database that has run a while has its planner statistics (autovacuum analyses it); right after
        # a bulk insert it has none yet, and plans a 5-row lookup as a scan of every session record.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "patients": len(made),
        "courses": len(made_courses),
        "sessions": len(procedures),
        "records": SessionRecord.objects.count(),
        "days": max(next_slot.values()) // SLOTS_PER_DAY + 1,
    }


def bench_devices(count: int) -> list[Device]:
    """`count` devices named "Bench Optia NN", copied from the unit's first centrifugal device."""
    template = Device.objects.filter(kind=Device.Kind.CENTRIFUGAL).first()
    for number in range(1, count + 1):
        Device.objects.get_or_create(
            name=f"Bench Optia {number:02d}",
            defaults={
                "kind": template.kind,
                "model": template.model,
                "ecv_typical_ml": template.ecv_typical_ml,
                "ecv_max_ml": template.ecv_max_ml,
                "plasma_removal_efficiency": template.plasma_removal_efficiency,
                "default_inlet_ac_ratio": template.default_inlet_ac_ratio,
            },
        )
    return list(Device.objects.filter(name__startswith="Bench Optia").order_by("name")[:count])
