"""The unit's reports: what registries and quality offices ask of an apheresis unit, counted from the records.

A report covers the sessions booked in a date range (local days, both ends included), grouped by one
dimension (indication, modality, device or signing physician). Counts come from the database in a
fixed number of grouped queries whatever the data size; the result is plain JSON (`as_json`), so a
monthly report stores exactly what was shown and reads back the same after it is frozen.

What counts (the README's "Unit reports" says the same for users):
- *Planned*: sessions booked in the range (not cancelled) under an order that was signed; a draft's
  tentative bookings do not count.
- *Done*, *stopped early*, *not started*: the session record's outcome; *open*: none of these yet.
- *Started*: a record with a start time. Adverse events and interruptions are per 100 started.
- *Plasma exchanged*: the plasma removed as recorded; *saline*: as recorded given.
- *Albumin* and *plasma units*: the packages the bedside marked given, by product (grams from the
  package's volume and concentration) and, for plasma, by the unit's ABO group.
- *Interrupted*: started sessions with an adverse event that interrupted or stopped the procedure.
- *Deviations*: records showing each kind (planner/records.py, DEVIATION_KINDS).
- *Signing to first start*: for each order (all its versions) whose first recorded start falls in the
  range, the hours from the first version's signature to that start; the median.
"""

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from planner.errors import WorkflowError
from planner.models import (
    AdverseEvent,
    Course,
    Device,
    Indication,
    IssuedProduct,
    MonthlyReport,
    Procedure,
    Product,
    SessionAddendum,
    SessionRecord,
)
from planner.records import DEVIATION_KINDS

FORMAT = 1  # the stored report's layout; a later layout reads older ones through an upgrade step

DIMENSIONS = {
    "indication": _("Indication"),
    "modality": _("Procedure"),
    "device": _("Device"),
    "physician": _("Signing physician"),
}
# The procedure's column that each dimension groups by.
_PROCEDURE_KEY = {
    "indication": "course__indication_id",
    "modality": "course__modality",
    "device": "device_id",
    "physician": "course__signed_by_id",
}
ABO_GROUPS = ("O", "A", "B", "AB")
NO_GROUP = ""  # a plasma unit issued without its ABO group written
SEVERITIES = tuple(AdverseEvent.Severity.values)
AE_KINDS = tuple(AdverseEvent.Kind.values)
# How long a period may be: ten years of a busy unit still answers in one page.
LONGEST_PERIOD_DAYS = 3660


class ReportError(WorkflowError):
    """A period or dimension the report cannot be made for, with the message staff see."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportError(_("The period ends before it starts."))
        if (self.end - self.start).days >= LONGEST_PERIOD_DAYS:
            raise ReportError(_("A report covers at most ten years."))

    @classmethod
    def month(cls, first: date) -> "Period":
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return cls(first.replace(day=1), following - timedelta(days=1))

    @classmethod
    def last_month(cls) -> "Period":
        return cls.month(timezone.localdate().replace(day=1) - timedelta(days=1))

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The local midnights that open the first day and close the last."""
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone),
        )


def sessions_in(period: Period) -> Any:
    """The sessions a report counts: booked in the period, not cancelled, under an order that was signed."""
    low, high = period.bounds
    return Procedure.objects.filter(status=Procedure.Status.PLANNED, starts_at__gte=low, starts_at__lt=high).exclude(
        course__status=Course.Status.DRAFT
    )


def _has_code(code: str) -> Q:
    """A record whose deviation codes include `code`: no code is part of another
    (tests/test_reconciliation.py), so a substring is the code, as the review filter reads it."""
    return Q(record__deviation_codes__contains=code)


_STARTED = Q(record__started_at__isnull=False)
_INTERRUPTED = Q(record__adverse_events__procedure_interrupted=True) | Q(record__adverse_events__procedure_stopped=True)


def _session_counts(procedures: Any, key: str) -> dict[Any, dict[str, int]]:
    counts = procedures.values(group=F(key)).annotate(
        planned=Count("pk"),
        done=Count("pk", filter=Q(record__outcome=SessionRecord.Outcome.COMPLETED)),
        stopped=Count("pk", filter=Q(record__outcome=SessionRecord.Outcome.STOPPED_EARLY)),
        not_started=Count("pk", filter=Q(record__outcome=SessionRecord.Outcome.NOT_STARTED)),
        started=Count("pk", filter=_STARTED),
        plasma_removed_ml=Coalesce(Sum("record__plasma_removed_ml"), 0),
        saline_ml=Coalesce(Sum("record__saline_given_ml"), 0),
        **{f"deviation:{code}": Count("pk", filter=_has_code(code)) for code in DEVIATION_KINDS},
    )
    return {row.pop("group"): row for row in counts.order_by()}


def _interrupted(procedures: Any, key: str) -> dict[Any, int]:
    rows = (
        procedures.filter(_STARTED)
        .filter(_INTERRUPTED)
        .values(group=F(key))
        .annotate(count=Count("pk", distinct=True))
        .order_by()
    )
    return {row["group"]: row["count"] for row in rows}


def _adverse_events(procedures: Any, key: str) -> dict[Any, dict[str, int]]:
    rows = (
        AdverseEvent.objects.filter(record__procedure__in=procedures.filter(_STARTED).values("pk"))
        .values("kind", "severity", group=F(f"record__procedure__{key}"))
        .annotate(count=Count("pk"))
        .order_by()
    )
    found: dict[Any, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["group"], {})[f"{row['kind']}:{row['severity']}"] = row["count"]
    return found


def _products(procedures: Any, key: str) -> dict[Any, dict[str, Any]]:
    rows = (
        IssuedProduct.objects.filter(record__procedure__in=procedures.values("pk"), quantity_given__gt=0)
        .values(
            "product__kind",
            "product__package_volume_ml",
            "product__concentration_percent",
            "abo_group",
            group=F(f"record__procedure__{key}"),
        )
        .annotate(packages=Sum("quantity_given"))
        .order_by()
    )
    found: dict[Any, dict[str, Any]] = {}
    for row in rows:
        products = found.setdefault(row["group"], {"albumin_packages": 0, "albumin_g": Decimal(0), "plasma_units": {}})
        if row["product__kind"] == Product.Kind.ALBUMIN:
            products["albumin_packages"] += row["packages"]
            # Grams per package in Python: SQLite stores 25 % as the integer 25, and its integer
            # division would make one vial of 25 % 50 mL 12 g, not 12.5.
            percent = Decimal(row["product__concentration_percent"] or 0)
            products["albumin_g"] += row["packages"] * row["product__package_volume_ml"] * percent / 100
        elif row["product__kind"] == Product.Kind.PLASMA:
            group = row["abo_group"] if row["abo_group"] in ABO_GROUPS else NO_GROUP
            products["plasma_units"][group] = products["plasma_units"].get(group, 0) + row["packages"]
    return found


def _signing_to_first_start(period: Period, dimension: str) -> dict[Any, list[float]]:
    """Hours from each order's first signature to its first recorded start, for first starts in the period.

    An order is its first version and its amendments (the versions point at the first, `original`): its
    signature and its group are the first version's, its first start the earliest of all its versions'.
    One query, over the records of the orders that started a session in the period only: a correlated
    subquery per order measured minutes on the bench's 100,000 sessions.
    """
    low, high = period.bounds

    def first_version(field: str) -> Coalesce:
        return Coalesce(f"procedure__course__original__{field}", f"procedure__course__{field}")

    started = SessionRecord.objects.filter(started_at__isnull=False).annotate(
        order=Coalesce("procedure__course__original_id", "procedure__course_id")
    )
    in_period = started.filter(started_at__gte=low, started_at__lt=high).values("order")
    group = {
        "indication": first_version("indication_id"),
        "modality": first_version("modality"),
        "physician": first_version("signed_by_id"),
        "device": F("procedure__device_id"),  # the device of the first start
    }[dimension]
    rows = (
        started.filter(order__in=in_period)
        .annotate(signed_at=first_version("signed_at"), group=group)
        .order_by("started_at", "pk")
        .values_list("order", "group", "signed_at", "started_at")
    )
    first: dict[int, tuple[Any, datetime | None, datetime]] = {}
    for order, key, signed_at, started_at in rows:
        first.setdefault(order, (key, signed_at, started_at))
    found: dict[Any, list[float]] = {}
    for key, signed_at, started_at in first.values():
        if signed_at is not None and low <= started_at < high:
            found.setdefault(key, []).append((started_at - signed_at).total_seconds() / 3600)
    return found


def _labels(dimension: str, keys: set[Any]) -> dict[Any, dict[str, str]]:
    """Each group's name in English and Chinese, stored with the numbers (a renamed device keeps its
    old name in a frozen report). Modalities are stored as codes and named when shown."""
    keys = {key for key in keys if key is not None}
    names: dict[Any, dict[str, str]] = {}
    if dimension == "modality":
        return {key: {"code": key} for key in keys}
    if dimension == "indication":
        for indication in Indication.objects.filter(pk__in=keys):
            with translation.override("en"):
                english = str(indication)
            with translation.override("zh-hans"):
                chinese = str(indication)
            names[indication.pk] = {"en": english, "zh": chinese}
    elif dimension == "device":
        for device in Device.objects.filter(pk__in=keys):
            names[device.pk] = {"en": device.name, "zh": device.name}
    else:
        from django.contrib.auth.models import User

        for user in User.objects.filter(pk__in=keys):
            name = user.get_full_name() or user.username
            names[user.pk] = {"en": name, "zh": name}
    return names


def _per_100(count: int, started: int) -> float | None:
    return round(count * 100 / started, 1) if started else None


def _row(
    label: dict[str, str],
    counts: dict[str, int],
    events: dict[str, int],
    products: dict,
    interrupted: int,
    hours: list[float],
) -> dict[str, Any]:
    started = counts["started"]
    by_severity = {severity: sum(n for k, n in events.items() if k.endswith(f":{severity}")) for severity in SEVERITIES}
    total_events = sum(events.values())
    plasma_units = {group: products.get("plasma_units", {}).get(group, 0) for group in (*ABO_GROUPS, NO_GROUP)}
    return {
        "label": label,
        "planned": counts["planned"],
        "done": counts["done"],
        "stopped": counts["stopped"],
        "not_started": counts["not_started"],
        "open": counts["planned"] - counts["done"] - counts["stopped"] - counts["not_started"],
        "started": started,
        "plasma_removed_ml": int(counts["plasma_removed_ml"]),
        "saline_ml": int(counts["saline_ml"]),
        "albumin_packages": int(products.get("albumin_packages", 0)),
        "albumin_g": float(round(Decimal(products.get("albumin_g", 0)), 1)),
        "plasma_units": plasma_units,
        "plasma_units_total": sum(plasma_units.values()),
        "adverse_events": total_events,
        "adverse_events_by": events,
        "adverse_events_by_severity": by_severity,
        "adverse_events_per_100": _per_100(total_events, started),
        "adverse_events_per_100_by_severity": {s: _per_100(n, started) for s, n in by_severity.items()},
        "interrupted": interrupted,
        "interrupted_per_100": _per_100(interrupted, started),
        "deviations": {code: counts[f"deviation:{code}"] for code in DEVIATION_KINDS},
        "signing_to_first_start_hours": hours,
        "median_signing_to_first_start_hours": round(statistics.median(hours), 1) if hours else None,
        "orders_first_started": len(hours),
    }


def _sum_rows(rows: list[dict[str, Any]], hours: list[float]) -> dict[str, Any]:
    counts = {
        field: sum(row[field] for row in rows)
        for field in ("planned", "done", "stopped", "not_started", "started", "plasma_removed_ml", "saline_ml")
    }
    counts.update({f"deviation:{code}": sum(row["deviations"][code] for row in rows) for code in DEVIATION_KINDS})
    events: dict[str, int] = {}
    for row in rows:
        for kind, count in row["adverse_events_by"].items():
            events[kind] = events.get(kind, 0) + count
    products = {
        "albumin_packages": sum(row["albumin_packages"] for row in rows),
        "albumin_g": sum(Decimal(str(row["albumin_g"])) for row in rows),
        "plasma_units": {g: sum(row["plasma_units"][g] for row in rows) for g in (*ABO_GROUPS, NO_GROUP)},
    }
    total = _row({"en": "All", "zh": "合计"}, counts, events, products, sum(r["interrupted"] for r in rows), hours)
    return total


@contextmanager
def one_snapshot() -> Iterator[None]:
    """A transaction whose queries all see the same data. PostgreSQL's default (READ COMMITTED) gives
    each query its own snapshot, so an adverse event committed between two queries could be counted
    while its session was not yet counted as started: REPEATABLE READ. A SQLite transaction reads one
    snapshot already. Inside an outer transaction (a test's), that transaction's level holds."""
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@one_snapshot()
def build(period: Period, dimension: str) -> dict[str, Any]:
    """The report as plain JSON: one row per group and a total row."""
    if dimension not in DIMENSIONS:
        raise ReportError(_("Choose what to group the report by."))
    procedures = sessions_in(period)
    key = _PROCEDURE_KEY[dimension]
    counts = _session_counts(procedures, key)
    events = _adverse_events(procedures, key)
    products = _products(procedures, key)
    interrupted = _interrupted(procedures, key)
    hours = _signing_to_first_start(period, dimension)
    keys = set(counts) | set(hours)
    labels = _labels(dimension, keys)
    empty = dict.fromkeys(("planned", "done", "stopped", "not_started", "started", "plasma_removed_ml", "saline_ml"), 0)
    empty.update({f"deviation:{code}": 0 for code in DEVIATION_KINDS})
    rows = [
        _row(
            labels.get(group, {"en": "—", "zh": "—"}),
            counts.get(group, empty),
            events.get(group, {}),
            products.get(group, {}),
            interrupted.get(group, 0),
            sorted(hours.get(group, [])),
        )
        for group in keys
    ]
    rows.sort(key=lambda row: (-row["planned"], row["label"].get("en", row["label"].get("code", ""))))
    all_hours = sorted(h for group_hours in hours.values() for h in group_hours)
    return {
        "format": FORMAT,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "dimension": dimension,
        "made_at": timezone.now().isoformat(),
        "rows": rows,
        "total": _sum_rows(rows, all_hours),
    }


def build_all(period: Period) -> dict[str, Any]:
    """Every dimension, for a monthly report that can be read by any of them once frozen: one snapshot,
    so that every grouping's totals agree."""
    with one_snapshot():
        return {dimension: build(period, dimension) for dimension in DIMENSIONS}


# --- The monthly quality report ----------------------------------------------------------------


def prepare(month: date, *, by: Any) -> MonthlyReport:
    """Prepare a month's report, or refresh one that is still only prepared."""
    first = month.replace(day=1)
    if first > timezone.localdate().replace(day=1):
        raise WorkflowError(_("A month is reported once it has begun."))
    numbers = build_all(Period.month(first))
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().filter(month=first).first()
        if report is None:
            return MonthlyReport.objects.create(
                month=first, numbers=numbers, prepared_by=by, prepared_at=timezone.now()
            )
        if report.state != MonthlyReport.State.PREPARED:
            raise WorkflowError(_("This month's report has been submitted: its numbers no longer change."))
        report.numbers, report.prepared_by, report.prepared_at = numbers, by, timezone.now()
        report.save(update_fields=["numbers", "prepared_by", "prepared_at"])
        return report


def month_has_ended(first: date) -> bool:
    return Period.month(first).end < timezone.localdate()


def submit(report: MonthlyReport, *, by: Any, note: str = "") -> MonthlyReport:
    """The head nurse submits a month that has ended: its numbers then stand (a report can be prepared, and
    refreshed, while the month runs, but a month still running has sessions to come)."""
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if report.state != MonthlyReport.State.PREPARED:
            raise WorkflowError(_("This report has already been submitted."))
        if not month_has_ended(report.month):
            raise WorkflowError(_("A month is submitted once it has ended."))
        report.state, report.submitted_by, report.submitted_at = MonthlyReport.State.SUBMITTED, by, timezone.now()
        report.submission_note = note.strip()
        report.save(update_fields=["state", "submitted_by", "submitted_at", "submission_note"])
        return report


def confirm(report: MonthlyReport, *, by: Any, note: str = "") -> MonthlyReport:
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if report.state != MonthlyReport.State.SUBMITTED:
            raise WorkflowError(_("Only a submitted report can be confirmed."))
        if report.submitted_by_id == by.pk:
            raise WorkflowError(_("The report is confirmed by someone other than who submitted it."))
        report.state, report.confirmed_by, report.confirmed_at = MonthlyReport.State.CONFIRMED, by, timezone.now()
        report.confirmation_note = note.strip()
        report.save(update_fields=["state", "confirmed_by", "confirmed_at", "confirmation_note"])
        return report


def addenda_after_freezing(report: MonthlyReport) -> Any:
    """Corrections written to the month's session records after the numbers were last prepared, once they
    stand (submitted or confirmed): a correction between preparing and confirming is not in them either."""
    if report.state == MonthlyReport.State.PREPARED:
        return SessionAddendum.objects.none()
    return (
        SessionAddendum.objects.filter(
            record__procedure__in=sessions_in(Period.month(report.month)).values("pk"),
            written_at__gt=report.prepared_at,
        )
        .select_related("written_by", "record__procedure__course")
        .order_by("written_at")
    )
