"""The page for an error nobody handled: a database that has gone away is told apart from a bug."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger("planner.errors")

# A lost or refused connection, as opposed to a query the database refused.
UNAVAILABLE = (OperationalError, InterfaceError)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside its `except`, so the exception is at hand."""
    error = sys.exc_info()[1]
    # A deadlock or serialisation failure is an OperationalError too, but the database is there.
    if isinstance(error, UNAVAILABLE) and (getattr(error.__cause__, "sqlstate", None) or "")[:2] != "40":
        logger.error("Database unavailable during %s %s: %s", request.method, request.path, type(error).__name__)
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
