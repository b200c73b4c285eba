import csv
import json
from datetime import datetime
from functools import lru_cache

from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper

from planner import records
from planner.core.codec import plan_from_json
from planner.models import (
    AdverseEvent,
    ApiToken,
    Course,
    Device,
    Indication,
    IssuedProduct,
    Measurement,
    Patient,
    PatientView,
    Procedure,
    Product,
    SessionAddendum,
    SessionRecord,
)

admin.site.site_header = _("Apheresis Planner administration")
admin.site.site_title = _("Apheresis Planner")


class _ChangeValues(HistoricalRecordContextHelper):
    """A change's before and after as staff read them: local times, a stored plan summarised."""

    def prepare_delta_change_value(self, change: ModelChange, value: object) -> object:
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")
        if change.field == "frozen_plan":
            return _("stored (format %(format)s)") % {"format": value["format"]} if value else "—"
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return "—" if value in (None, "") else value


class AuditedAdmin(SimpleHistoryAdmin):
    """History that shows every field's before and after, the workflow's own fields included.

    django-simple-history leaves out fields a form cannot edit (status, signed by, signed at), so
    signing a course showed an empty Changes column.
    """

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: object, foreign_keys_are_objs: bool = True
    ) -> None:
        # Newest first: each record is compared with the one before it in time.
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = ModelDelta(_changes(current, previous), [], current, previous)
                previous.history_delta_changes = _ChangeValues(self.model, previous).context_for_delta_changes(delta)
            previous = current


# Changed on every save; the history's own date says when.
_NOT_SHOWN = {"id", "updated_at"}


def _related(record: object, field: object, key: object) -> object:
    if key is None:
        return None
    try:
        return getattr(record, field.name)
    except ObjectDoesNotExist:
        return f"#{key}"


def _changes(old: object, new: object) -> list[ModelChange]:
    """Every tracked field whose value differs, editable or not (simple-history's diff reads only editable ones)."""
    found = []
    for field in new.tracked_fields:
        if field.name in _NOT_SHOWN:
            continue
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before == after:
            continue
        if field.is_relation:
            # The related row as people know it, not its id; looked up only for a field that changed.
            before, after = _related(old, field, before), _related(new, field, after)
        found.append(ModelChange(field.name, before, after))
    return sorted(found, key=lambda change: change.field)


@admin.register(Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = [
        "disease",
        "indication",
        "category",
        "grade",
        "default_replacement",
        "replacement_policy",
        "tpv_min",
        "tpv_max",
        "default_frequency",
        "default_sessions",
        "is_active",
    ]
    list_filter = ["category", "grade", "replacement_policy", "default_replacement", "default_frequency", "is_active"]
    search_fields = ["disease", "indication", "course_notes"]
    readonly_fields = ["catalogue_key"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Taken out of use with "offered for new courses", not deleted: loading the catalogue again
        # would bring a deleted shipped row back, and orders keep pointing at the rows they used.
        return False


@admin.action(description=_("Mark the selected rows as checked against the unit's own"))
def mark_verified(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """The standard catalogue's values, compared with the unit's own stock or device by an administrator."""
    count = queryset.filter(is_verified=False).update(is_verified=True)
    messages.success(request, _("%(count)d row(s) marked as checked.") % {"count": count})


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "model",
        "ecv_typical_ml",
        "ecv_max_ml",
        "plasma_removal_efficiency",
        "default_inlet_ac_ratio",
        "is_active",
        "is_verified",
    ]
    list_filter = ["kind", "is_active", "is_verified"]
    actions = [mark_verified]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "concentration_percent",
        "package_volume_ml",
        "is_default",
        "is_active",
        "is_verified",
    ]
    list_filter = ["kind", "is_default", "is_active", "is_verified"]
    actions = [mark_verified]


class NoDeleteMixin:
    """Clinical records are corrected, never deleted, whoever asks."""

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MeasurementInline(admin.TabularInline):
    model = Measurement
    fields = ["taken_at", "weight_kg", "height_cm", "haematocrit", "fibrinogen_g_per_l", "entered_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(NoDeleteMixin, AuditedAdmin):
    list_display = ["mrn", "family_name", "given_name", "sex", "date_of_birth", "abo_group", "rhd"]
    list_filter = ["sex", "abo_group"]
    search_fields = ["mrn", "family_name", "given_name"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    inlines = [MeasurementInline]

    def save_model(self, request: HttpRequest, obj: Patient, form: ModelForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Measurement)
class MeasurementAdmin(NoDeleteMixin, AuditedAdmin):
    list_display = ["patient", "taken_at", "weight_kg", "height_cm", "haematocrit", "fibrinogen_g_per_l", "entered_by"]
    list_select_related = ["patient", "entered_by"]
    search_fields = ["patient__mrn"]
    date_hierarchy = "taken_at"
    raw_id_fields = ["patient"]
    readonly_fields = ["entered_at", "entered_by", "updated_at", "updated_by"]

    def save_model(self, request: HttpRequest, obj: Measurement, form: ModelForm, change: bool) -> None:
        if not change:
            obj.entered_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins issue a token for a user and revoke it; the key is shown once, when issued."""

    list_display = ["name", "user", "key_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "created_by"]
    fields = ["user", "name"]
    readonly_fields = ["key_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return self.readonly_fields if obj is None else [*self.fields, *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoked, not deleted: the list says which keys ever existed

    def save_model(self, request: HttpRequest, obj: ApiToken, form: ModelForm, change: bool) -> None:
        if change:
            return
        token, key = ApiToken.issue(user=obj.user, name=obj.name, issued_by=request.user)
        obj.pk = token.pk
        messages.warning(
            request,
            _("API key for %(name)s: %(key)s — copy it now; it is stored only as a hash and will not be shown again.")
            % {"name": token.name, "key": key},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": count})


class ReadOnlyMixin(NoDeleteMixin):
    """Orders and bookings change only through the workflow (sign, amend, cancel, move), never by hand here."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = ["__str__", "patient", "indication", "status", "version", "created_by", "signed_by", "signed_at"]
    list_filter = ["status", "urgency"]
    list_select_related = ["patient", "indication", "created_by", "signed_by", "original"]
    search_fields = ["patient__mrn"]


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = ["course", "number", "device", "starts_at", "ends_at", "status", "updated_by"]
    list_filter = ["status", "device"]
    list_select_related = ["course", "course__original", "device", "updated_by"]
    search_fields = ["course__patient__mrn"]
    date_hierarchy = "starts_at"


@admin.register(PatientView)
class PatientViewAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who opened which patient's record and when: for administrators, never edited."""

    list_display = ["viewed_at", "user", "patient", "page"]
    list_filter = ["page", "user"]
    list_select_related = ["user", "patient"]
    search_fields = ["patient__mrn", "user__username"]
    date_hierarchy = "viewed_at"


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
    fields = ["product", "lot_number", "abo_group", "quantity", "quantity_given", "issued_by", "issued_at"]
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
class SessionRecordAdmin(ReadOnlyMixin, AuditedAdmin):
    """The session log for reviewers: filter, read, mark reviewed, export. Records change at the bedside only."""

    list_display = ["procedure", "patient_mrn", "device", "outcome", "worst_event", "reviewed_by", "reviewed_at"]
    list_filter = [
        ReviewedFilter,
        "outcome",
        ("procedure__device", admin.RelatedOnlyFieldListFilter),
        ("procedure__course__indication", admin.RelatedOnlyFieldListFilter),
        "adverse_events__severity",
        # A date filter, not date_hierarchy: the hierarchy's year/month aggregate over every record cost
        # 0.4 s per page at 50 000 records (make bench).
        ("procedure__starts_at", admin.DateFieldListFilter),
    ]
    search_fields = ["procedure__course__patient__mrn"]
    list_select_related = [
        "procedure__device",
        "procedure__course__patient",
        "procedure__course__original",
        "reviewed_by",
    ]
    inlines = [AdverseEventInline, IssuedProductInline, SessionAddendumInline]
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

    @admin.action(description=_("Export the selected sessions as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SessionRecord]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="session-log.csv"'
        writer = csv.writer(response)
        writer.writerow([name for name, _value in CSV_COLUMNS])
        for record in queryset.order_by("procedure__starts_at"):
            writer.writerow([value(record) for _name, value in CSV_COLUMNS])
        return response
