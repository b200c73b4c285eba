"""Patients, measurements, orders and bookings in the administration, and the logs of who did what."""

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner import roles
from planner.admin.audit import AuditedAdmin, GuardedAdmin, LogsPatientViews
from planner.forms import PatientForm
from planner.models import ApiToken, Approval, Consent, Course, Measurement, Patient, PatientView, Procedure


class NoDeleteMixin:
    """Clinical records are corrected, never deleted, whoever asks."""

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyMixin(NoDeleteMixin):
    """Orders and bookings change only through the workflow (sign, amend, cancel, move), never by hand here."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
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


class PatientAdminForm(PatientForm):
    """The same checks as the patient pages: the canonical MRN and the warning about a likely duplicate."""


@admin.register(Patient)
class PatientAdmin(LogsPatientViews, NoDeleteMixin, AuditedAdmin):
    form = PatientAdminForm
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
class MeasurementAdmin(LogsPatientViews, NoDeleteMixin, AuditedAdmin):
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
class ApiTokenAdmin(GuardedAdmin):
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

    def formfield_for_foreignkey(self, db_field: object, request: HttpRequest, **kwargs: object) -> object:
        if db_field.name == "user" and not request.user.is_superuser:
            # A key acts as its user: only for an account this administrator may manage (planner/admin/users.py),
            # never a protected one (a signer's, a reviewer's, an administrator's): that would act in their name.
            protected = User.objects.filter(roles.protected_accounts()).values("pk")
            kwargs["queryset"] = User.objects.exclude(pk__in=protected)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": count})


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ApprovalInline(_ReadOnlyInline):
    """The order's approvals (kept on its first version), given in the app and never edited."""

    model = Approval
    fk_name = "order"
    fields = ["step", "band", "day_total_ml", "course", "approved_by", "approved_at", "note"]
    readonly_fields = fields


class ConsentInline(_ReadOnlyInline):
    """Every record of the order's consents, in order: the latest of each kind is where it stands."""

    model = Consent
    fields = ["kind", "state", "signer", "signed_at", "note", "recorded_by", "recorded_at"]
    readonly_fields = fields


@admin.register(Course)
class CourseAdmin(LogsPatientViews, ReadOnlyMixin, AuditedAdmin):
    inlines = [ApprovalInline, ConsentInline]
    list_display = ["__str__", "patient", "indication", "status", "version", "created_by", "signed_by", "signed_at"]
    list_filter = ["status", "urgency"]
    list_select_related = ["patient", "indication", "created_by", "signed_by", "original"]
    search_fields = ["patient__mrn"]


@admin.register(Procedure)
class ProcedureAdmin(LogsPatientViews, ReadOnlyMixin, AuditedAdmin):
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
