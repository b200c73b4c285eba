"""Staff accounts and roles: nobody grants themselves rights.

- Only a superuser sees or changes superuser status, a user's own permissions, any group's
  permissions, and membership of a role that signs, reviews or exports, or administers
  (roles.PROTECTED_ROLES, and any group holding roles.PROTECTED_PERMISSIONS).
- The admin group manages the ward's accounts (nurses, the blood bank) and their memberships, and
  nothing of a protected account (roles.protected_accounts): not even its password, which would be
  signing, reviewing or exporting in its holder's name.
- Nobody changes their own groups or permissions, superusers included.
- Every change of a user's groups or permissions, and every password set here, is in the audit
  trail (planner/models/staff.py), shown under History, which is read-only here for everyone: an
  account is never "reverted".
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.utils import update_change_reason

from planner import roles
from planner.admin.audit import AuditedAdmin

# Fields that give rights: only a superuser changes them, and nobody on their own account.
_RIGHTS = ("is_superuser", "groups", "user_permissions", "is_staff")

admin.site.unregister(User)
admin.site.unregister(Group)


def _protected(user: User) -> bool:
    """An account only a superuser may change (roles.protected_accounts)."""
    return User.objects.filter(roles.protected_accounts(), pk=user.pk).exists()


class ReadOnlyHistory:
    """History to read, never to revert (a revert would restore rights through the back door)."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        request.history_read_only = True  # every field shown as text (GuardedAdmin.get_readonly_fields)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: object = None) -> bool:
        return True


@admin.register(User)
class UserAdmin(ReadOnlyHistory, AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "roles", "is_staff", "is_superuser", "is_active"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        hidden = set()
        if obj is not None and (
            getattr(request, "history_read_only", False) or not self.has_change_permission(request, obj)
        ):
            hidden.add("password")  # read-only, Django would show the whole hash: a stolen hash can be cracked offline
        if not request.user.is_superuser:
            # Superuser status and a user's own permissions are not even shown to anyone else.
            hidden |= {"is_superuser", "user_permissions"}
        if not hidden:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            readonly += [name for name in _RIGHTS if name not in readonly]
        return readonly

    def formfield_for_manytomany(self, db_field: object, request: HttpRequest, **kwargs: object) -> object:
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = roles.grantable_groups()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and not request.user.is_superuser and obj.pk != request.user.pk and _protected(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and (obj.pk == request.user.pk or (not request.user.is_superuser and _protected(obj))):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        target = self.get_object(request, id)
        if target is not None and not self.has_change_permission(request, target):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and target is not None:
            # Saved: the account's history says who set a password, and when (never the password).
            update_change_reason(target, "password set")
        return response

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list, change: bool) -> None:
        user = form.instance
        kept = []
        if not request.user.is_superuser and change:
            # Memberships the form could not show (protected roles) are kept as they were, not dropped.
            kept = list(user.groups.exclude(pk__in=roles.grantable_groups().values("pk")))
        super().save_related(request, form, formsets, change)
        if kept:
            user.groups.add(*kept)


@admin.register(Group)
class GroupAdmin(ReadOnlyHistory, AuditedAdmin, DjangoGroupAdmin):
    """A role's permissions come from planner/roles.py (setup_roles); only a superuser changes them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser
