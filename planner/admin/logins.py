"""The login log (django-axes): administrators read it and unlock a locked account."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        # django-axes 8.3's action reads the request time its login handler sets, and was a server
        # error here without it; it deletes rows, so it needs the permission to delete them.
        request.axes_attempt_time = timezone.now()
        super().cleanup_expired_attempts(request, queryset)
