"""The catalogue an administrator keeps: ASFA indications, the unit's devices and its products."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from planner.admin.audit import GuardedAdmin
from planner.models import (
    AdsorptionColumn,
    Device,
    Fractionator,
    Indication,
    IndicationModality,
    Product,
    StopCriterion,
)


class IndicationModalityInline(admin.TabularInline):
    model = IndicationModality
    extra = 0
    fields = ["modality", "category", "grade", "notes", "source", "needs_checking", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Indication)
class IndicationAdmin(GuardedAdmin):
    inlines = [IndicationModalityInline]
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


@admin.action(description=_("Mark the selected rows as checked against the unit's own"), permissions=["change"])
def mark_verified(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """The standard catalogue's values, compared with the unit's own stock or device by an administrator."""
    count = queryset.filter(is_verified=False).update(is_verified=True)
    messages.success(request, _("%(count)d row(s) marked as checked.") % {"count": count})


@admin.register(Device)
class DeviceAdmin(GuardedAdmin):
    list_display = [
        "name",
        "kind",
        "model",
        "ecv_typical_ml",
        "ecv_max_ml",
        "plasma_removal_efficiency",
        "default_inlet_ac_ratio",
        "runs_dfpp",
        "runs_ia",
        "is_active",
        "is_verified",
    ]
    list_filter = ["kind", "runs_dfpp", "runs_ia", "is_active", "is_verified"]
    actions = [mark_verified]


@admin.register(Product)
class ProductAdmin(GuardedAdmin):
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


@admin.register(Fractionator)
class FractionatorAdmin(GuardedAdmin):
    list_display = ["name", "sc_igg", "sc_albumin", "sc_igm", "sieving", "evidence", "is_active", "is_verified"]
    list_filter = ["sieving", "evidence", "is_active", "is_verified"]
    search_fields = ["name", "source"]
    actions = [mark_verified]


@admin.register(AdsorptionColumn)
class AdsorptionColumnAdmin(GuardedAdmin):
    list_display = ["name", "ligand", "max_processed_ml", "igg_efficiency", "evidence", "is_active", "is_verified"]
    list_filter = ["evidence", "is_active", "is_verified"]
    search_fields = ["name", "ligand", "source"]
    actions = [mark_verified]


@admin.register(IndicationModality)
class IndicationModalityAdmin(GuardedAdmin):
    list_display = ["indication", "modality", "category", "grade", "needs_checking", "is_active"]
    list_filter = ["modality", "category", "needs_checking", "is_active"]
    search_fields = ["indication__disease", "indication__indication", "notes"]
    list_select_related = ["indication"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Taken out of use with "offered for new courses": loading the catalogue again would bring it back.
        return False


@admin.register(StopCriterion)
class StopCriterionAdmin(GuardedAdmin):
    list_display = ["indication", "measure", "marker_name", "comparison", "threshold", "is_active"]
    list_filter = ["measure", "comparison", "is_active"]
    search_fields = ["indication__disease", "indication__indication", "description", "marker_name"]
    list_select_related = ["indication"]
    autocomplete_fields = ["indication"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Taken out of use ("in use" off): loading the catalogue again would bring a deleted row back.
        return False
