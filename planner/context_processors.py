from django.conf import settings
from django.http import HttpRequest

from planner.auth_backend import role_names


def unit(request: HttpRequest) -> dict[str, str]:
    return {"unit_name": settings.UNIT_NAME}


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """`csp_nonce` for templates, the name django-htmx's `{% htmx_script %}` reads.

    The value is django-csp's lazy nonce: the header only carries a nonce when a template used it.
    """
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


def roles(request: HttpRequest) -> dict[str, object]:
    """`user_roles`: the names of the user's roles, read with their permissions (planner.auth_backend)."""
    return {"user_roles": lambda: role_names(request.user)}
