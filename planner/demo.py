"""Fictional demo data: users for each role, devices, products and patients with recent labs.

Every name and number here is invented. Loading is idempotent: rows are found
by their natural key (username, device or product name, MRN) and only created
when missing, so running it twice changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from planner import booking, courses, plans, roles
from planner.models import (
    AdverseEvent,
    Course,
    Device,
    Indication,
    IssuedProduct,
    Measurement,
    Patient,
    Procedure,
    Product,
    SessionRecord,
)
from planner.standard_catalogue import STANDARD_DEVICES, STANDARD_PRODUCTS

# Published in the README on purpose; seed_demo refuses to run without DEBUG or --force.
DEMO_PASSWORD = "apheresis-demo"  # nosec B105

DEMO_USERS = [
    # username, first name, last name, role
    ("physician", "Lin", "Zhou", roles.PHYSICIAN),
    ("nurse", "Fang", "Xu", roles.NURSE),
    ("bloodbank", "Hui", "Tang", roles.BLOOD_BANK),
    ("reviewer", "Min", "Guo", roles.REVIEWER),
    ("admin", "Admin", "Demo", roles.ADMIN),
    # The second person of two-person checks, and the approvers of blood-product volume (Chinese practice).
    ("nurse2", "Na", "Zhao", roles.NURSE),
    ("bloodbank2", "Jie", "Sun", roles.BLOOD_BANK),
    ("senior", "Jun", "Wang", roles.APPROVAL_ROLES["senior"]),
    ("head", "Li", "Zhang", roles.APPROVAL_ROLES["head"]),
    ("medaffairs", "Ying", "Liu", roles.APPROVAL_ROLES["medical_affairs"]),
    # Submits the monthly quality report, which the department head ("head") confirms.
    ("headnurse", "Mei", "Chen", roles.HEAD_NURSE),
]

# Beyond the standard catalogue (planner/standard_catalogue.py): a membrane separator and a second albumin.
DEMO_DEVICES = [
    *STANDARD_DEVICES,
    {
        # Demo values for a membrane separator; a unit enters its own device's figures.
        "name": "Membrane separator 1",
        "kind": Device.Kind.MEMBRANE,
        "model": "Membrane plasma separator",
        "ecv_typical_ml": 160,
        "ecv_max_ml": 200,
        "plasma_removal_efficiency": Decimal("0.30"),
        "default_inlet_ac_ratio": None,
        "runs_dfpp": True,
        "runs_ia": True,
    },
]

DEMO_PRODUCTS = [
    *({**values, "is_default": True} for values in STANDARD_PRODUCTS),
    {
        "name": "Human albumin 25 % 12.5 g/50 mL",
        "kind": Product.Kind.ALBUMIN,
        "concentration_percent": Decimal("25"),
        "package_volume_ml": 50,
    },
]


@dataclass(frozen=True)
class DemoPatient:
    mrn: str
    family_name: str
    given_name: str
    sex: str
    date_of_birth: date
    abo_group: str
    rhd: str
    notes: str
    allergies: str = ""
    # Values measured a week ago (weight, height) and yesterday morning (labs).
    baseline: dict[str, object] = field(default_factory=dict)
    labs: dict[str, object] = field(default_factory=dict)


DEMO_PATIENTS = [
    DemoPatient(
        mrn="DEMO-0001",
        family_name="王",
        given_name="秀英",
        sex=Patient.Sex.FEMALE,
        date_of_birth=date(1968, 3, 14),
        abo_group="A",
        rhd="pos",
        notes="Pemphigus vulgaris, severe mucocutaneous; on prednisone, rituximab planned after the course.",
        baseline={"weight_kg": Decimal("58.0"), "height_cm": Decimal("158.0")},
        labs={
            "haematocrit": Decimal("0.380"),
            "fibrinogen_g_per_l": Decimal("2.90"),
            "platelets_10e9_per_l": 245,
            "haemoglobin_g_per_l": 121,
            "ionised_calcium_mmol_per_l": Decimal("1.15"),
            "igg_g_per_l": Decimal("13.20"),
            "marker_name": "anti-Dsg3",
            "marker_value": "152 U/mL",
            "marker_is_igg_antibody": True,
        },
    ),
    DemoPatient(
        mrn="DEMO-0002",
        family_name="李",
        given_name="建国",
        sex=Patient.Sex.MALE,
        date_of_birth=date(1979, 7, 2),
        abo_group="B",
        rhd="pos",
        allergies="Carbamazepine (suspected cause of TEN)",
        notes="Toxic epidermal necrolysis, 40 % body surface; central line in place.",
        baseline={"weight_kg": Decimal("72.0"), "height_cm": Decimal("172.0")},
        labs={
            "haematocrit": Decimal("0.410"),
            "fibrinogen_g_per_l": Decimal("3.40"),
            "platelets_10e9_per_l": 188,
            "haemoglobin_g_per_l": 138,
            "ionised_calcium_mmol_per_l": Decimal("1.12"),
            "igg_g_per_l": Decimal("9.80"),
            "marker_name": "SCORTEN",
            "marker_value": "3",
        },
    ),
    DemoPatient(
        mrn="DEMO-0003",
        family_name="陈",
        given_name="静",
        sex=Patient.Sex.FEMALE,
        date_of_birth=date(1985, 11, 23),
        abo_group="O",
        rhd="pos",
        notes="Anti-MDA5 clinically amyopathic dermatomyositis with rapidly progressive interstitial lung disease.",
        baseline={"weight_kg": Decimal("52.0"), "height_cm": Decimal("160.0")},
        labs={
            "haematocrit": Decimal("0.360"),
            "fibrinogen_g_per_l": Decimal("2.40"),
            "platelets_10e9_per_l": 210,
            "haemoglobin_g_per_l": 112,
            "ionised_calcium_mmol_per_l": Decimal("1.18"),
            "igg_g_per_l": Decimal("11.50"),
            "marker_name": "anti-MDA5",
            "marker_value": "> 150 U/mL",
            "marker_is_igg_antibody": True,
        },
    ),
    DemoPatient(
        mrn="DEMO-0004",
        family_name="Carter",
        given_name="Emily",
        sex=Patient.Sex.FEMALE,
        date_of_birth=date(1990, 5, 9),
        abo_group="A",
        rhd="neg",
        notes="Immune TTP, first presentation.",
        baseline={"weight_kg": Decimal("65.0"), "height_cm": Decimal("165.0")},
        labs={
            "haematocrit": Decimal("0.290"),
            "fibrinogen_g_per_l": Decimal("3.10"),
            "platelets_10e9_per_l": 18,
            "haemoglobin_g_per_l": 92,
            "marker_name": "ADAMTS13 activity",
            "marker_value": "< 5 %",
        },
    ),
    DemoPatient(
        mrn="DEMO-0005",
        family_name="Zhang",
        given_name="Wei",
        sex=Patient.Sex.MALE,
        date_of_birth=date(1957, 1, 30),
        abo_group="AB",
        rhd="pos",
        notes="Guillain-Barré syndrome, unable to walk unaided.",
        baseline={"weight_kg": Decimal("80.0"), "height_cm": Decimal("178.0")},
        labs={
            "haematocrit": Decimal("0.440"),
            "fibrinogen_g_per_l": Decimal("3.60"),
            "platelets_10e9_per_l": 260,
            "haemoglobin_g_per_l": 150,
        },
    ),
    DemoPatient(
        mrn="DEMO-0006",
        family_name="刘",
        given_name="小雨",
        sex=Patient.Sex.FEMALE,
        date_of_birth=date(2023, 2, 17),
        abo_group="O",
        rhd="pos",
        notes="Child, 12 kg: the extracorporeal volume exceeds 15 % of blood volume; consider a red-cell prime.",
        baseline={"weight_kg": Decimal("12.0"), "height_cm": Decimal("90.0")},
        labs={"haematocrit": Decimal("0.340"), "haemoglobin_g_per_l": 110, "platelets_10e9_per_l": 320},
    ),
]


def _at_local(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def seed_demo(*, today: date | None = None) -> dict[str, int]:
    """Create whatever demo rows are missing. Returns how many of each were created."""
    today = today or timezone.localdate()
    created = {"users": 0, "devices": 0, "products": 0, "patients": 0, "measurements": 0, "courses": 0}
    roles.setup_roles()

    for username, first_name, last_name, role in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                # Reviewers review session logs in the administration; the demo admin is an
                # administrator by role, not a superuser (createsuperuser makes one).
                "is_staff": role in roles.STAFF_ROLES,
                "is_superuser": False,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created["users"] += 1
        user.groups.add(Group.objects.get(name=role))

    # The demo unit has checked the standard catalogue's values against its (fictional) stock and devices.
    for model, rows in ((Device, DEMO_DEVICES), (Product, DEMO_PRODUCTS)):
        for values in rows:
            row, was_created = model.objects.get_or_create(name=values["name"], defaults=values)
            created[f"{model._meta.model_name}s"] += was_created
            if not row.is_verified:
                row.is_verified = True
                row.save(update_fields=["is_verified"])

    entered_by = User.objects.get(username="nurse")
    for demo in DEMO_PATIENTS:
        if Patient.objects.filter(mrn=demo.mrn).exists():
            continue
        patient = Patient.objects.create(
            mrn=demo.mrn,
            family_name=demo.family_name,
            given_name=demo.given_name,
            sex=demo.sex,
            date_of_birth=demo.date_of_birth,
            abo_group=demo.abo_group,
            rhd=demo.rhd,
            allergies=demo.allergies,
            notes=demo.notes,
            created_by=entered_by,
            updated_by=entered_by,
        )
        created["patients"] += 1
        for taken_on, values in ((today - timedelta(days=7), demo.baseline), (today - timedelta(days=1), demo.labs)):
            Measurement.objects.create(
                patient=patient,
                taken_at=_at_local(taken_on, 7, 30),
                entered_by=entered_by,
                updated_by=entered_by,
                **values,
            )
            created["measurements"] += 1
    created["courses"] = _seed_courses(today) + _seed_history(today)
    return created


def _seed_courses(today: date) -> int:
    """A signed, booked pemphigus course and a TEN draft, made through the same steps as the UI."""
    physician = User.objects.get(username="physician")
    count = 0
    for mrn, disease, indication_words, sign in (
        ("DEMO-0001", "Pemphigus vulgaris", "severe", True),
        ("DEMO-0002", "Toxic epidermal necrolysis", "refractory", False),
    ):
        patient = Patient.objects.get(mrn=mrn)
        if patient.courses.exists():
            continue
        indication = Indication.objects.get(disease=disease, indication=indication_words)
        values = courses.initial_from_indication(indication, patient)
        values["first_on"] = booking.closed_days().next_open(today + timedelta(days=1))
        if disease.startswith("Toxic"):
            values["vascular_access"] = Course.Access.CENTRAL_FEMORAL
        course = Course(patient=patient, created_by=physician, method="nadler", **values)
        course.inputs = plans.snapshot_of(patient).as_json()
        course.fluid_proposal = courses.proposal_json(plans.course_proposal(course))
        course.estimated_duration_min = plans.live_plan(course).rounded["duration_min"]
        course.save()
        if sign:
            booking.book(course, booking.propose(course), by=physician)
            courses.sign(course, by=physician, seen_digest=plans.digest(plans.live_plan(course)))
        count += 1
    return count


# Last month, as a unit that has run a while: three finished courses with their records, adverse events
# and products, for the course chart and the unit's reports to show something. Fictional, like the rest.
HISTORY_MARK = "demo history"


@dataclass(frozen=True)
class HistoryCourse:
    mrn: str
    family_name: str
    given_name: str
    sex: str
    born: date
    abo: str
    disease: str
    indication: str
    hour: int  # the sessions' start time, so that the three courses share the device without overlap
    fibrinogen: tuple[str, ...]  # before each session, then after the course
    igg: tuple[str, ...]
    marker: tuple[str, ...]  # anti-Dsg3 (U/mL) or "" when not measured
    outcomes: tuple[str, ...]


HISTORY = [
    HistoryCourse(
        "DEMO-0101",
        "周",
        "丽华",
        Patient.Sex.FEMALE,
        date(1961, 5, 9),
        "O",
        "Pemphigus vulgaris",
        "severe",
        8,
        ("3.1", "2.0", "1.6", "1.4", "1.3", "2.6"),
        ("12.8", "7.9", "5.4", "4.1", "3.3", "4.9"),
        ("188", "141", "102", "77", "60", "52"),
        ("completed", "completed", "completed", "completed", "completed"),
    ),
    HistoryCourse(
        "DEMO-0102",
        "Okafor",
        "Chidi",
        Patient.Sex.MALE,
        date(1974, 2, 17),
        "A",
        "Thrombotic thrombocytopenic purpura (TTP)",
        "",
        11,
        ("2.4", "2.6", "2.8", "3.0", "3.0", "3.1"),
        ("", "", "", "", "", ""),
        ("", "", "", "", "", ""),
        ("completed", "completed", "stopped_early", "completed", "completed"),
    ),
    HistoryCourse(
        "DEMO-0103",
        "赵",
        "敏",
        Patient.Sex.FEMALE,
        date(1990, 8, 30),
        "B",
        "Myasthenia gravis",
        "acute, short-term treatment",
        14,
        ("3.3", "2.2", "1.7", "1.5", "1.9", "2.9"),
        ("11.2", "6.9", "4.9", "3.8", "3.1", "4.6"),
        ("", "", "", "", "", ""),
        ("completed", "completed", "completed", "not_started", "completed"),
    ),
]


def _seed_history(today: date) -> int:
    if Course.objects.filter(notes=HISTORY_MARK).exists():
        return 0
    physician, nurse = User.objects.get(username="physician"), User.objects.get(username="nurse")
    bloodbank = User.objects.get(username="bloodbank")
    device = Device.objects.get(name="Spectra Optia 1")
    albumin = Product.objects.filter(kind=Product.Kind.ALBUMIN, is_default=True).first()
    plasma = Product.objects.filter(kind=Product.Kind.PLASMA, is_default=True).first()
    first_of_month = today.replace(day=1)
    start = (first_of_month - timedelta(days=1)).replace(day=3)  # the 3rd of last month
    for history in HISTORY:
        patient = Patient.objects.create(
            mrn=history.mrn,
            family_name=history.family_name,
            given_name=history.given_name,
            sex=history.sex,
            date_of_birth=history.born,
            abo_group=history.abo,
            rhd="pos",
            created_by=nurse,
            updated_by=nurse,
        )
        indication = Indication.objects.get(disease=history.disease, indication=history.indication)
        values = courses.initial_from_indication(indication, patient)
        count = len(history.outcomes)
        values |= {"first_on": start, "sessions_count": count, "pattern": Course.Pattern.EVERY_OTHER_DAY}
        values["device"] = device
        course = Course(patient=patient, created_by=physician, method="nadler", notes=HISTORY_MARK, **values)
        # The days the unit's calendar gives (closed days skipped), as booking would choose them.
        days = booking.course_dates(course)
        lab_days = [*days, days[-1] + timedelta(days=3)]
        # The labs before the course, which the order is computed from; the rest come in as the course runs.
        _seed_history_labs(patient, history, 0, lab_days[0], nurse)
        course.inputs = plans.snapshot_of(patient).as_json()
        course.fluid_proposal = courses.proposal_json(plans.course_proposal(course))
        course.estimated_duration_min = plans.compute(course).plan.rounded["duration_min"]
        course.save()
        procedures = []
        for number, day in enumerate(days, start=1):
            begins = _at_local(day, history.hour, 0)
            procedures.append(
                Procedure.objects.create(
                    course=course,
                    number=number,
                    device=device,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=course.estimated_duration_min + 30),
                    updated_by=physician,
                )
            )
        # Signed the afternoon before the first session, on the sessions as booked, as the workflow signs;
        # finished: written at once, as the record shows it.
        live = plans.compute(course)
        course.status, course.signed_by = Course.Status.COMPLETED, physician
        course.signed_at = procedures[0].starts_at - timedelta(hours=18)
        course.frozen_plan = plans.freeze(course, live) | {"frozen_at": course.signed_at.isoformat()}
        course.save()
        plan = live.plan.rounded
        for procedure, outcome in zip(procedures, history.outcomes, strict=True):
            _seed_record(procedure, outcome, plan, nurse, bloodbank, albumin, plasma, history)
        for n, day in enumerate(lab_days[1:], start=1):
            _seed_history_labs(patient, history, n, day, nurse)
    return len(HISTORY)


def _seed_history_labs(patient: Patient, history: HistoryCourse, n: int, day: date, nurse: User) -> None:
    """The n-th morning's labs of a history course (0: before the first session)."""
    labs = {
        "fibrinogen_g_per_l": Decimal(history.fibrinogen[n]),
        "igg_g_per_l": Decimal(history.igg[n]) if history.igg[n] else None,
    }
    if history.marker[n]:
        labs |= {"marker_name": "anti-Dsg3", "marker_value": f"{history.marker[n]} U/mL"}
        labs["marker_is_igg_antibody"] = True
    if n == 0:
        labs |= {"weight_kg": Decimal("62.0"), "height_cm": Decimal("163.0"), "haematocrit": Decimal("0.39")}
        labs |= {"platelets_10e9_per_l": 32 if history.disease.startswith("Thrombotic") else 230}
    Measurement.objects.create(
        patient=patient, taken_at=_at_local(day, 6, 30), entered_by=nurse, updated_by=nurse, **labs
    )


def _seed_record(
    procedure: Procedure,
    outcome: str,
    plan: dict,
    nurse: User,
    bloodbank: User,
    albumin: Product,
    plasma: Product,
    history: HistoryCourse,
) -> None:
    begins = procedure.starts_at
    if outcome == SessionRecord.Outcome.NOT_STARTED:
        SessionRecord.objects.create(
            procedure=procedure, recorded_by=nurse, outcome=outcome, outcome_reason="Febrile (38.6 °C); postponed"
        )
        return
    stopped = outcome == SessionRecord.Outcome.STOPPED_EARLY
    exchanged = plan["exchange_volume_ml"] * (0.45 if stopped else 1)
    record = SessionRecord.objects.create(
        procedure=procedure,
        recorded_by=nurse,
        consent_confirmed=True,
        access_working=True,
        started_at=begins + timedelta(minutes=10),
        ended_at=begins + timedelta(minutes=(50 if stopped else procedure.course.estimated_duration_min) + 10),
        plasma_removed_ml=round(exchanged),
        albumin_given_ml=0 if history.disease.startswith("Thrombotic") else round(exchanged),
        plasma_given_ml=round(exchanged) if history.disease.startswith("Thrombotic") else 0,
        outcome=outcome,
        outcome_reason="Urticaria and wheeze: stopped, treated" if stopped else "",
    )
    if history.disease.startswith("Thrombotic"):
        units = round(exchanged / plasma.package_volume_ml)
        IssuedProduct.objects.create(
            record=record,
            product=plasma,
            lot_number=f"P{procedure.pk:05d}",
            abo_group=history.abo,
            quantity=units,
            quantity_given=units,
            issued_by=bloodbank,
        )
    else:
        vials = plan["replacement"]["albumin_vials"]
        IssuedProduct.objects.create(
            record=record,
            product=albumin,
            lot_number="ALB-2611",
            quantity=vials,
            quantity_given=vials,
            issued_by=bloodbank,
        )
    event = {
        1: ("citrate", "mild", False, False, "Calcium gluconate 10 mL, inlet slowed"),
        3: ("hypotension", "moderate", True, False, "Paused, 250 mL saline; resumed after 10 min"),
    }.get(procedure.number)
    if stopped:
        event = ("allergic", "moderate", True, True, "Stopped; antihistamine and hydrocortisone")
    if event and not (procedure.number == 3 and history.disease.startswith("Myasthenia")):
        kind, severity, interrupted, was_stopped, action = event
        AdverseEvent.objects.create(
            record=record,
            kind=kind,
            severity=severity,
            occurred_at=begins + timedelta(minutes=40),
            action_taken=action,
            procedure_interrupted=interrupted,
            procedure_stopped=was_stopped,
            outcome="Resolved",
            recorded_by=nurse,
        )
