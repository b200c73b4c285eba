"""The consents a course needs before a session starts, and the second person of a two-person check.

Consents (CONSENTS_REQUIRED): every course needs the procedure consent; one that gives plasma (in
its signed plan or a session's re-plan) needs the transfusion consent (输血治疗同意书); one through a
central line needs the central catheter consent. Each is signed, or goes the emergency path
(reported to the administrative department, with a note). Consents are kept on the order's first
version, so an amendment keeps them.

Two-person checks (TWO_PERSON_CHECKS): the second person confirms with their own user name and
password at that moment; the attempt goes through the login's throttling (django-axes), and the
second person is never the first.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _

from planner.errors import WorkflowError
from planner.models import Consent, Course, Procedure
from planner.plans import Order

CENTRAL_ACCESS = (
    Course.Access.CENTRAL_JUGULAR,
    Course.Access.CENTRAL_FEMORAL,
    Course.Access.CENTRAL_SUBCLAVIAN,
)


def gives_plasma(course: Course, order: Order) -> bool:
    """Plasma in the signed plan (any session, or its base) or in a booked session's re-plan."""
    plan = order.plan
    if plan.rounded["replacement"]["plasma_ml"] or any(f.replacement.plasma_ml > 0 for f in plan.session_fluids):
        return True
    return any(
        (p.fluid_plan.get("replacement") or {}).get("plasma_ml", 0) > 0
        for p in course.procedures.all()
        if p.status == Procedure.Status.PLANNED
    )


def needed(course: Course, order: Order) -> list[str]:
    kinds = [Consent.Kind.PROCEDURE]
    if gives_plasma(course, order):
        kinds.append(Consent.Kind.TRANSFUSION)
    if course.vascular_access in CENTRAL_ACCESS:
        kinds.append(Consent.Kind.CENTRAL_CATHETER)
    return kinds


def current(course: Course) -> dict[str, Consent]:
    """The latest record of each consent of the order (the rows are append-only: the latest is its state)."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(order_id=course.original_id or course.pk).select_related("recorded_by"):
        latest[consent.kind] = consent
    return latest


def rows(course: Course, order: Order) -> list[tuple[str, str, Consent | None]]:
    """(kind, label, latest record or None) for each consent the order needs, for pages and printouts."""
    latest = current(course)
    if not settings.CONSENTS_REQUIRED and not latest:
        return []  # a unit that does not record consents here sees nothing of them
    return [(kind, str(Consent.Kind(kind).label), latest.get(kind)) for kind in needed(course, order)]


def missing(course: Course, order: Order) -> list[str]:
    """The labels of the needed consents that are neither signed nor taken the emergency path."""
    latest = current(course)
    return [
        str(Consent.Kind(kind).label)
        for kind in needed(course, order)
        if kind not in latest or not latest[kind].allows_start
    ]


def check_may_start(course: Course, order: Order) -> None:
    if not settings.CONSENTS_REQUIRED:
        return
    lacking = missing(course, order)
    if lacking:
        raise WorkflowError(
            _("The session cannot start without: %(consents)s. Record them on the course page.")
            % {"consents": ", ".join(lacking)}
        )


def second_person(request: HttpRequest, username: str, password: str, *, permission: str) -> object:
    """The colleague who confirms a check with their own password; never the user asking.

    Raises WorkflowError with what is wrong. A wrong password counts as a failed login for that account.
    """
    if not username.strip() or not password:
        raise WorkflowError(_("The second person enters their own user name and password."))
    user = authenticate(request, username=username.strip(), password=password)
    if getattr(request, "axes_locked_out", False):
        # django-axes refused (or has just locked) the colleague's account. Its middleware would answer
        # the whole request with the lockout page, as if the logged-in user were locked: say it here.
        request.axes_locked_out = False
        raise WorkflowError(_("That account is locked after too many failed attempts."))
    if user is None or not user.is_active:
        raise WorkflowError(_("The second person's user name or password is not right."))
    if user.pk == request.user.pk:
        raise WorkflowError(_("The second check is made by another person, not by you."))
    if not user.has_perm(permission):
        raise WorkflowError(
            _("%(name)s may not make this check.") % {"name": user.get_full_name() or user.get_username()}
        )
    return user
