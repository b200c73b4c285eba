"""Idle sessions end, without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST pushes the expiry forward by saving the session on every
request: a BEGIN, an UPDATE and a COMMIT for each page, image-free htmx call and API poll. Here the
session is saved only when its last refresh is SESSION_REFRESH_SECONDS old or more. The expiry is
always the last save plus SESSION_COOKIE_AGE, so a user idle for SESSION_COOKIE_AGE is logged out,
and one idle for a little less (at most SESSION_REFRESH_SECONDS less) may be: never later, sometimes
a minute earlier.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESHED_KEY = "_idle_refreshed_at"


class IdleSessionRefreshMiddleware:
    """Mark a logged-in session for saving when its last refresh is old enough (after SessionMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session, user = getattr(request, "session", None), getattr(request, "user", None)
        # Only a logged-in user's session is kept alive: an anonymous visitor's, an expired cookie's or
        # a just-flushed one (logout) is not saved, so no row is written for them.
        if session is None or user is None or not user.is_authenticated or session.is_empty():
            return response
        now = int(time.time())
        refreshed = session.get(REFRESHED_KEY)
        interval = min(settings.SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 2)
        if session.modified or not isinstance(refreshed, int) or now - refreshed >= interval:
            # Saved by SessionMiddleware on the way out, with a new expiry and cookie max-age.
            session[REFRESHED_KEY] = now
        return response
