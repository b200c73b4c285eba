"""The login log (django-axes): administrators read it and unlock a locked account.

Deleting a row of failed attempts unlocks that login. An administrator who is not a superuser
unlocks the accounts it manages, never a protected one (roles.protected_accounts): unlocking a
physician's login again and again would let someone guess the physician's password for ever.
"""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner import roles

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: AccessAttempt | None = None) -> bool:
        # Checked for every row a deletion (or "delete selected") would remove.
        if obj is not None and not request.user.is_superuser and _names_protected_account(obj.username):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        # django-axes 8.3's action reads the request time its login handler sets, and was a server
        # error here without it; it deletes rows, so it needs the permission to delete them.
        request.axes_attempt_time = timezone.now()
        super().cleanup_expired_attempts(request, queryset)


def _names_protected_account(username: str | None) -> bool:
    # Without regard to case: an attempt typed "Physician" still names the physician's login.
    return bool(username) and User.objects.filter(roles.protected_accounts(), username__iexact=username).exists()
