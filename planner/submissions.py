"""Saving a form once, however often it is sent.

A creating form carries a one-time token (`{% submission_token %}`). The first valid POST with it
saves and records where it led; a second POST with the same token (a double click, a resend after a
slow answer, the back button) saves nothing and goes to the same place with a note. Forms sent
without a token (the JSON API, scripts) are saved as before.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from planner.models import Submission

FIELD = "submission_token"
KEEP = timedelta(days=2)


def new_token() -> str:
    return str(uuid.uuid4())


def submit_once(request: HttpRequest, save: Callable[[], HttpResponse]) -> HttpResponse:
    """Run `save` (which saves and answers, normally with a redirect) unless this token already did."""
    try:
        token = uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return save()
    with transaction.atomic():
        try:
            with transaction.atomic():
                submission = Submission.objects.create(token=token, user=request.user)
        except IntegrityError:
            first = Submission.objects.filter(token=token, user=request.user).first()
            messages.info(request, _("This form had already been sent; it was saved once, not twice."))
            return redirect(first.result_url if first and first.result_url else request.path)
        response = save()
        if response.status_code in (301, 302, 303):
            submission.result_url = response["Location"]
            submission.save(update_fields=["result_url"])
        else:  # not saved after all (a late refusal): let the corrected form be sent again
            submission.delete()
    Submission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return response
