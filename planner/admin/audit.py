"""History that shows every change and changes nothing unless its reader may, and guards that answer in words."""

import json
from collections.abc import Callable
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ManyToManyField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper

from planner.audit import log_patient_view


class _ChangeValues(HistoricalRecordContextHelper):
    """A change's before and after as staff read them: local times, a stored plan summarised."""

    def prepare_delta_change_value(self, change: ModelChange, value: object) -> object:
        if isinstance(self.model._meta.get_field(change.field), ManyToManyField):
            return ", ".join(value) or "—"  # the names _members() listed
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")
        if change.field == "frozen_plan":
            return _("stored (format %(format)s)") % {"format": value["format"]} if value else "—"
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return "—" if value in (None, "") else value


class GuardedAdmin(admin.ModelAdmin):
    """A save the database's guards refuse (a signed course, a reviewed record) is a message, never a 500."""

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        def view() -> HttpResponse:
            return super(GuardedAdmin, self).changeform_view(request, object_id, form_url, extra_context)

        return guarded(request, view, back_to=request.get_full_path())

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        # Whoever may not change the record sees every field read-only, here and in its history.
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and (
            getattr(request, "history_read_only", False) or not self.has_change_permission(request, obj)
        ):
            opts = self.model._meta
            readonly += [f.name for f in (*opts.fields, *opts.many_to_many) if f.name not in readonly]
        return readonly


def guarded(request: HttpRequest, view: Callable[[], HttpResponse], *, back_to: str) -> HttpResponse:
    """The view's response, or, when a database guard refuses its write, the page again with the reason."""
    try:
        with transaction.atomic():
            return view()
    except IntegrityError as refused:
        # The guards (planner/db_guards.py) and constraints refuse with an integrity error on both
        # databases; a lost connection is not a refusal and goes on to the outage page.
        # The guards' messages start with their name (db_guards.py): keep the words after it.
        words = str(refused).splitlines()[0] if str(refused) else ""
        reason = words.split(": ", 1)[-1]
        messages.error(request, _("Not saved: the database refused the change (%(reason)s).") % {"reason": reason})
        return HttpResponseRedirect(back_to)


class AuditedAdmin(GuardedAdmin, SimpleHistoryAdmin):
    """History that shows every field's before and after, the workflow's own fields included.

    django-simple-history leaves out fields a form cannot edit (status, signed by, signed at), so
    signing a course showed an empty Changes column. Its history form (one past version) saves
    whatever is posted to it for anyone who may view the record: here it is read-only for anyone
    who may not change the record, and reverting follows the change form's locks.
    """

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            # django-simple-history looks both up unchecked: "/patient/abc/history/1/" was a server error.
            self.model._meta.pk.to_python(unquote(object_id))
            int(version_id)
        except (ValidationError, ValueError):
            raise Http404 from None
        obj = self.get_object(request, unquote(object_id))
        if request.method == "POST" and (obj is None or not self.has_change_permission(request, obj)):
            raise PermissionDenied

        def view() -> HttpResponse:
            return super(AuditedAdmin, self).history_form_view(request, object_id, version_id, extra_context)

        if request.method != "POST":
            return view()
        opts = self.model._meta
        return guarded(
            request, view, back_to=reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        )

    def revert_disabled(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None or not self.has_change_permission(request, obj)

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
    # Many-to-many fields kept with the record (a user's groups and permissions, a group's permissions).
    for field in getattr(new, "_history_m2m_fields", ()):
        before, after = _members(old, field), _members(new, field)
        if before != after:
            found.append(ModelChange(field.name, before, after))
    return sorted(found, key=lambda change: change.field)


def _members(record: object, field: object) -> list[str]:
    """The related rows one version held, as people know them (a role's name)."""
    target = field.m2m_reverse_field_name()
    return sorted(str(getattr(row, target)) for row in getattr(record, field.name).select_related(target))


class LogsPatientViews:
    """Opening a patient's record, or a past version of it, in the admin is in the patient-view log
    like opening it in the planner's pages (page "admin")."""

    def patient_of(self, obj: object) -> object:
        """The patient whose record the page shows (a course's, a session's, …)."""
        for path in ("procedure", "course", "patient"):  # a record's session, its course, their patient
            if hasattr(obj, path):
                obj = getattr(obj, path)
        return obj

    def change_view(self, request: HttpRequest, object_id: str, *args: object, **kwargs: object) -> HttpResponse:
        response = super().change_view(request, object_id, *args, **kwargs)
        self._log(request, object_id, response)
        return response

    def history_form_view(self, request: HttpRequest, object_id: str, *args: object, **kwargs: object) -> HttpResponse:
        response = super().history_form_view(request, object_id, *args, **kwargs)
        self._log(request, object_id, response)
        return response

    def _log(self, request: HttpRequest, object_id: str, response: HttpResponse) -> None:
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                log_patient_view(request, self.patient_of(obj), "admin")
