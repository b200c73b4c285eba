"""The session log for reviewers: filter, read, mark reviewed and export, with the records locked once reviewed."""

import csv
import json
from functools import lru_cache

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner import records
from planner.admin.audit import AuditedAdmin, LogsPatientViews
from planner.admin.clinical import ReadOnlyMixin
from planner.audit import log_patient_views
from planner.core.codec import plan_from_json
from planner.core.spreadsheet import safe_row
from planner.forms import RunSheetEntryForm
from planner.models import (
    AdverseEvent,
    BedsideCheck,
    Course,
    IssuedProduct,
    RunSheetEntry,
    SessionAddendum,
    SessionRecord,
)


class UsedIndicationFilter(admin.RelatedFieldListFilter):
    """The indications some course was planned for, read off the courses (RelatedOnlyFieldListFilter
    would collect them from every session record: a scan of the whole log on every page)."""

    def field_choices(self, field, request, model_admin):
        used = Course.objects.values("indication")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"pk__in": used})


class ReviewedFilter(admin.SimpleListFilter):
    title = _("reviewed")
    parameter_name = "reviewed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Reviewed")), ("no", _("Not reviewed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        return queryset


class DeviationFilter(admin.SimpleListFilter):
    """Records that differ from the booking, the order or what was issued, by kind (records.DEVIATION_KINDS)."""

    title = _("deviations")
    parameter_name = "deviation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("any", _("Any")), ("none", _("None")), *records.DEVIATION_KINDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "any":
            return queryset.exclude(deviation_codes="")
        if value == "none":
            return queryset.filter(deviation_codes="")
        if value in records.DEVIATION_KINDS:
            # No code is part of another (tests/test_reconciliation.py), so a substring is the code.
            return queryset.filter(deviation_codes__contains=value)
        return queryset


class AdverseEventInline(admin.TabularInline):
    model = AdverseEvent
    fields = [
        "occurred_at",
        "kind",
        "severity",
        "action_taken",
        "procedure_interrupted",
        "procedure_stopped",
        "outcome",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class IssuedProductInline(admin.TabularInline):
    model = IssuedProduct
    fields = [
        "product",
        "lot_number",
        "abo_group",
        "quantity",
        "quantity_given",
        "crossmatched_by",
        "rechecked_by",
        "issued_by",
        "issued_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class BedsideCheckInline(admin.TabularInline):
    """The bedside two-person checks of the session's plasma units and albumin lots."""

    model = BedsideCheck
    fk_name = "record"
    fields = ["issued", "first_by", "second_by", "checked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RunSheetInline(admin.TabularInline):
    """The run sheet's timed rows: read here, added at the bedside only."""

    model = RunSheetEntry
    fields = [*RunSheetEntryForm.Meta.fields, "recorded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


CSV_COLUMNS = [
    ("date", lambda r: timezone.localtime(r.procedure.starts_at).strftime("%Y-%m-%d %H:%M")),
    ("mrn", lambda r: r.procedure.course.patient.mrn),
    ("order", lambda r: r.procedure.course.order_number),
    ("session", lambda r: r.procedure.number),
    ("device", lambda r: r.procedure.device.name),
    ("indication", lambda r: str(r.procedure.course.indication)),
    ("outcome", lambda r: r.outcome),
    ("plasma_removed_ml", lambda r: r.plasma_removed_ml),
    ("replacement_given_ml", lambda r: r.replacement_given_ml),
    ("fluid_balance_percent", lambda r: r.fluid_balance_percent),
    ("adverse_events", lambda r: "; ".join(f"{e.kind}/{e.severity}" for e in r.adverse_events.all())),
    ("reviewed_by", lambda r: r.reviewed_by.get_username() if r.reviewed_by else ""),
    ("reviewed_at", lambda r: timezone.localtime(r.reviewed_at).strftime("%Y-%m-%d %H:%M") if r.reviewed_at else ""),
    ("addenda", lambda r: r.addenda.count()),
    ("deviations", lambda r: r.deviation_codes),
    ("deviation_reason", lambda r: r.deviation_reason),
    # The order as signed (its frozen plan), never recomputed; blank for an order without one.
    ("planned_exchange_ml", lambda r: _planned(r.procedure.course).get("exchange_volume_ml", "")),
    ("planned_duration_min", lambda r: _planned(r.procedure.course).get("duration_min", "")),
]


@lru_cache(maxsize=256)
def _planned_numbers(course_id: int, stored: str) -> dict:
    return plan_from_json(json.loads(stored)).rounded


def _planned(course: Course) -> dict:
    if not course.frozen_plan:
        return {}
    # One decoding per order, however many of its sessions the export holds.
    return _planned_numbers(course.pk, json.dumps(course.frozen_plan, sort_keys=True))


class SessionAddendumInline(admin.TabularInline):
    model = SessionAddendum
    fields = ["written_at", "written_by", "reason", "correction"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SessionRecord)
class SessionRecordAdmin(LogsPatientViews, ReadOnlyMixin, AuditedAdmin):
    """The session log for reviewers: filter, read, mark reviewed, export. Records change at the bedside only."""

    list_display = ["procedure", "patient_mrn", "device", "outcome", "worst_event", "reviewed_by", "reviewed_at"]
    list_filter = [
        ReviewedFilter,
        DeviationFilter,
        "outcome",
        # Every device of the unit (a short list, retired ones included, as their sessions are in the log).
        ("procedure__device", admin.RelatedFieldListFilter),
        ("procedure__course__indication", UsedIndicationFilter),
        "adverse_events__severity",
        # A date filter, not date_hierarchy: the hierarchy's year/month aggregate over every record cost
        # 0.4 s per page at 50 000 records (make bench).
        ("procedure__starts_at", admin.DateFieldListFilter),
    ]
    search_fields = ["procedure__course__patient__mrn"]
    # A filtered page counts its own matches only, not also the whole log ("of 50,000 in all").
    show_full_result_count = False
    list_select_related = [
        "procedure__device",
        "procedure__course__patient",
        "procedure__course__original",
        "reviewed_by",
    ]
    inlines = [RunSheetInline, AdverseEventInline, IssuedProductInline, BedsideCheckInline, SessionAddendumInline]
    actions = ["mark_reviewed", "export_csv"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SessionRecord]:
        # No .distinct(): the changelist itself removes the duplicates the severity filter can make,
        # and only then; DISTINCT over every column of the joined rows cost 0.5 s at 50 000 records.
        return super().get_queryset(request).prefetch_related("adverse_events")

    @admin.display(description=_("MRN"), ordering="procedure__course__patient__mrn")
    def patient_mrn(self, record: SessionRecord) -> str:
        return record.procedure.course.patient.mrn

    @admin.display(description=_("device"))
    def device(self, record: SessionRecord) -> str:
        return record.procedure.device.name

    @admin.display(description=_("worst adverse event"))
    def worst_event(self, record: SessionRecord) -> str:
        order = ["mild", "moderate", "severe"]
        events = sorted(record.adverse_events.all(), key=lambda e: order.index(e.severity), reverse=True)
        return str(events[0]) if events else "—"

    @admin.action(description=_("Mark the selected sessions reviewed"), permissions=["review"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[SessionRecord]) -> None:
        count = records.mark_reviewed(queryset, by=request.user)
        messages.success(request, _("%(count)d session(s) marked reviewed.") % {"count": count})

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("planner.review_sessionrecord")

    @admin.action(description=_("Export the selected sessions as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SessionRecord]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="session-log.csv"'
        writer = csv.writer(response)
        writer.writerow([name for name, _value in CSV_COLUMNS])
        exported = list(queryset.order_by("procedure__starts_at"))
        for record in exported:
            # Every cell through the one helper: a name typed as =HYPERLINK(...) stays text.
            writer.writerow(safe_row([value(record) for _name, value in CSV_COLUMNS]))
        # A file that leaves the building: every patient in it is in the patient-view log.
        log_patient_views(request, (record.procedure.course.patient for record in exported), "export-csv")
        return response

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("planner.export_sessionrecord")
