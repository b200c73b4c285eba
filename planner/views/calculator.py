"""The exchange calculator page and its JSON API."""

import json
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from planner.audit import log_patient_view
from planner.calculator import ExchangeForm, initial_from_patient, result_rows
from planner.core.limits import parse_id
from planner.models import ApiToken, Patient

# Failed bearer tokens are throttled per address under this one name (never a real username).
TOKEN_CREDENTIALS = {"username": "(API token)"}
# Every staff role may calculate: the calculator reads the catalogue's devices and products.
CALCULATOR_PERMISSION = "planner.view_product"


@require_http_methods(["GET", "POST"])
@permission_required(CALCULATOR_PERMISSION, raise_exception=True)
def calculator(request: HttpRequest) -> HttpResponse:
    """The exchange calculator: results update as staff type (htmx), or on submit without JavaScript."""
    patient, prefilled, initial = None, [], {}
    patient_id = request.GET.get("patient") or request.POST.get("patient")
    if patient_id:
        if not request.user.has_perm("planner.view_patient"):
            raise PermissionDenied
        patient = get_object_or_404(Patient, pk=chosen) if (chosen := parse_id(patient_id)) else None
        if patient is None:
            raise Http404
        log_patient_view(request, patient, "calculator")
        initial, prefilled = initial_from_patient(patient)
    if request.method == "POST":
        form = ExchangeForm(request.POST)
        form.is_valid()
    else:
        form = ExchangeForm(initial=initial)
        if patient is not None and {"weight_kg", "height_cm", "haematocrit"} <= initial.keys():
            # Show the numbers at once for a patient whose record has what they need.
            form = ExchangeForm({**{name: f.initial for name, f in form.fields.items()}, **initial})
            form.is_valid()
    context = {
        "form": form,
        "plan": form.plan,
        "rows": result_rows(form.plan) if form.plan else [],
        "patient": patient,
        "prefilled": prefilled,
    }
    if request.htmx:
        return render(request, "planner/calculator_results.html", context)
    return render(request, "planner/calculator.html", context)


def _api_error(status: int, errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _too_many_wrong_tokens() -> JsonResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many wrong API tokens from this address: try again in %(minutes)d minutes.")
    refused = _api_error(429, {"__all__": [message % {"minutes": minutes}]})
    refused["Retry-After"] = str(minutes * 60)
    return refused


def _api_user(request: HttpRequest) -> tuple[object | None, JsonResponse | None]:
    """The user behind an API request: a bearer token, or the browser session with its CSRF token."""
    header = request.headers.get("Authorization", "")
    if header:
        # Wrong tokens count against the address as wrong passwords do (django-axes), so keys cannot be guessed.
        if AxesProxyHandler.is_locked(request, TOKEN_CREDENTIALS):
            return None, _too_many_wrong_tokens()
        scheme, _space, key = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and key.strip():
            token = ApiToken.objects.active().select_related("user").filter(key_hash=ApiToken.hash_key(key.strip()))
            token = token.first()
        if token is None:
            user_login_failed.send(sender=__name__, credentials=TOKEN_CREDENTIALS, request=request)
            if getattr(request, "axes_locked_out", False):
                # This failure reached the limit: say so in JSON (axes' middleware would answer with its HTML page).
                request.axes_locked_out = False
                return None, _too_many_wrong_tokens()
            return None, _api_error(401, {"__all__": [_("The API token is missing, unknown or revoked.")]})
        # A minute's precision is enough to see which keys are in use, and spares a write per call.
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, None
    if request.user.is_authenticated:
        rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
        if rejected is not None:
            return None, _api_error(403, {"__all__": [_("CSRF check failed: send the X-CSRFToken header.")]})
        return request.user, None
    return None, _api_error(401, {"__all__": [_("Log in, or send 'Authorization: Bearer <token>'.")]})


@login_not_required
@csrf_exempt  # checked in _api_user for session requests; token requests carry no cookie to forge
@require_POST
def api_exchange_plan(request: HttpRequest) -> JsonResponse:
    user, refused = _api_user(request)
    if refused is not None:
        if refused.status_code == 401:
            refused["WWW-Authenticate"] = 'Bearer realm="planner"'
        return refused
    if not user.has_perm(CALCULATOR_PERMISSION):
        return _api_error(403, {"__all__": [_("This user may not use the calculator.")]})
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, RequestDataTooBig):
        return _api_error(400, {"__all__": [_("Send the inputs as a JSON object.")]})
    if not isinstance(data, dict):
        return _api_error(400, {"__all__": [_("Send the inputs as a JSON object.")]})
    form = ExchangeForm(data)
    if not form.is_valid():
        return _api_error(400, form.error_dict())
    return JsonResponse(form.plan.as_dict())
