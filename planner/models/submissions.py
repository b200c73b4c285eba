"""Form submissions already acted on, so a second click (or a resent POST) does not save twice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Submission(models.Model):
    """The one-time token a creating form carries, stored when the form is saved.

    The unique token is the guard: a second POST with the same token fails to insert (on PostgreSQL
    it waits for the first to commit), finds the first one's result and goes there instead.
    """

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    result_url = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("form submission")

    def __str__(self) -> str:
        return str(self.token)
