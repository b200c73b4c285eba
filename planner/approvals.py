"""Graded approval of the blood-product volume ordered for a patient per day (APPROVALS_REQUIRED).

《医疗机构临床用血管理办法》 第二十条, as the clinical reference quotes it (§8 of the modalities
reference): per patient per day, under 800 mL a senior physician approves; from 800 mL the
department head approves as well; from 1,600 mL the medical affairs office approves as well.
Emergency orders are exempt and completed afterwards.

The physician's signature is the application. Approvals are rows beside the frozen order
(planner.models.Approval, append-only in the database), never a change to it. The volume of a day
is the sum, over every live order of the patient, of the counted products (APPROVAL_COUNTED_KINDS)
its sessions on that day are given: a booked session's own re-plan if it has one, else the signed
plan for that session; sessions not booked yet count on the day the signed order planned them.
An order needs the steps of the highest band any of its days reaches. An approval counts for the
band it was given at and the ones below: when a new order, an amendment or a re-plan raises a day
into a higher band, the higher band's steps are needed again.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from planner import plans
from planner.core.exchange import replacement_dict
from planner.errors import WorkflowError
from planner.models import Approval, Course, IssuedProduct, Procedure, Product, SessionRecord
from planner.plans import Order, session_fluids

STEPS = (Approval.Step.SENIOR, Approval.Step.HEAD, Approval.Step.MEDICAL_AFFAIRS)
# Orders whose sessions count towards a patient's day, and the ones that can be approved.
LIVE = (Course.Status.SIGNED, Course.Status.IN_PROGRESS, Course.Status.COMPLETED)
ENDED = (Course.Status.SUPERSEDED, Course.Status.CANCELLED)
_FLUID_KEYS = {"plasma": "plasma_ml", "albumin": "albumin_ml"}


def band(total_ml: int) -> int:
    """0 when nothing counted is given; 1 under the first threshold, 2 from it, 3 from the second."""
    if total_ml <= 0:
        return 0
    head_from, medical_affairs_from = settings.APPROVAL_THRESHOLDS_ML
    return 1 if total_ml < head_from else 2 if total_ml < medical_affairs_from else 3


def counted_ml(fluids: dict) -> int:
    """The volume of the products that count (APPROVAL_COUNTED_KINDS) in one session's rounded fluids."""
    return sum(int(fluids.get(_FLUID_KEYS[kind]) or 0) for kind in settings.APPROVAL_COUNTED_KINDS)


def root(course: Course) -> Course:
    """The order's first version: approvals and consents are kept on it, for every version."""
    return course.original if course.original_id else course


def order_days(course: Course, order: Order | None = None, *, booked_only: bool = False) -> dict[date, int]:
    """The counted volume each day of one order's sessions is given."""
    order = order or plans.order_for(course)
    days: dict[date, int] = defaultdict(int)
    procedures = list(course.procedures.all())
    if procedures:
        for procedure in procedures:
            if procedure.status == Procedure.Status.PLANNED:
                fluids, _fractions, _reasons = session_fluids(procedure, order)
                days[timezone.localdate(procedure.starts_at)] += counted_ml(fluids)
        return dict(days)
    if booked_only:
        return {}
    starts = order.session_starts or plans.session_starts(course)
    numbers = order.plan.request.session_numbers or tuple(range(1, len(starts) + 1))
    for number, start in zip(numbers, starts, strict=False):
        planned = order.plan.fluids_for_session(number)
        fluids = replacement_dict(planned.replacement) if planned else order.plan.rounded["replacement"]
        days[timezone.localdate(start)] += counted_ml(fluids)
    return dict(days)


def patient_days(course: Course, order: Order | None = None, *, others: list[Course] | None = None) -> dict[date, int]:
    """Each day of this order's sessions, with the patient's counted volume that day over all their orders.

    `others`: the patient's other orders with their procedures, when the caller has them already.
    """
    totals = dict(order_days(course, order))
    if others is None:
        others = [other for other in _patient_orders({course.patient_id})[course.patient_id] if other.pk != course.pk]
    for other in others:
        try:
            # A superseded or cancelled order keeps the sessions that ran under it (booked, planned): they count.
            other_days = order_days(other, booked_only=other.status in ENDED)
        except WorkflowError:
            continue  # an order that cannot be read is reported on its own page
        for day, total in other_days.items():
            if day in totals:
                totals[day] += total
    return totals


def _patient_orders(patient_ids: set[int]) -> dict[int, list[Course]]:
    """Every order of these patients that counts towards a day, with its procedures: two queries."""
    by_patient: dict[int, list[Course]] = defaultdict(list)
    orders = (
        Course.objects.filter(patient_id__in=patient_ids, status__in=(*LIVE, *ENDED))
        .select_related("signed_by")
        .prefetch_related("procedures")
        .order_by("pk")
    )
    for order in orders:
        by_patient[order.patient_id].append(order)
    return by_patient


def _root_id(course: Course) -> int:
    return course.original_id or course.pk


@dataclass(frozen=True)
class StepState:
    step: str
    label: str
    approval: Approval | None
    permission: str

    @property
    def done(self) -> bool:
        return self.approval is not None


@dataclass(frozen=True)
class ApprovalStatus:
    """Where an order stands: the days' volumes, the band, each step needed and who gave it."""

    required: bool  # the unit uses approvals and the order is signed
    days: dict[date, int] = field(default_factory=dict)
    band: int = 0
    steps: tuple[StepState, ...] = ()
    emergency: bool = False
    requester: object = None
    requested_at: object = None
    # Every approval given on the order, at any band and on any version (the page lists the others).
    given: tuple[Approval, ...] = ()

    @property
    def highest_ml(self) -> int:
        return max(self.days.values(), default=0)

    @property
    def highest_day(self) -> date | None:
        return max(self.days, key=lambda day: (self.days[day], day)) if self.days else None

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def outstanding(self) -> list[StepState]:
        return [step for step in self.steps if not step.done]

    @property
    def next_step(self) -> StepState | None:
        return next(iter(self.outstanding), None)

    @property
    def releasable(self) -> bool:
        """The blood bank may prepare and issue: approvals not used, complete, or an emergency (completed after)."""
        return not self.required or self.complete or self.emergency

    @property
    def outstanding_words(self) -> str:
        return ", ".join(step.label for step in self.outstanding)


def status(course: Course, order: Order | None = None) -> ApprovalStatus:
    return statuses([course], {course.pk: order} if order is not None else None)[course.pk]


def statuses(courses: list[Course], orders: dict[int, Order] | None = None) -> dict[int, ApprovalStatus]:
    """The approval status of each course, read in a fixed number of queries however many there are
    (the blood bank's day). `orders`: the courses' decoded orders, when the caller has them."""
    orders = orders or {}
    result = {course.pk: ApprovalStatus(required=False) for course in courses}
    live = [course for course in courses if settings.APPROVALS_REQUIRED and course.status in LIVE]
    if not live:
        return result
    by_patient = _patient_orders({course.patient_id for course in live})
    given: dict[int, list[Approval]] = defaultdict(list)
    for approval in Approval.objects.filter(order_id__in={_root_id(c) for c in live}).select_related("approved_by"):
        given[approval.order_id].append(approval)
    for course in live:
        mine = by_patient[course.patient_id]
        own = next((other for other in mine if other.pk == course.pk), course)  # with its procedures
        others = [other for other in mine if other.pk != course.pk]
        days = patient_days(own, orders.get(course.pk), others=others)
        result[course.pk] = _status(own, days, given[_root_id(course)])
    return result


def _status(course: Course, days: dict[date, int], given: list[Approval]) -> ApprovalStatus:
    needed = band(max(days.values(), default=0))
    steps = []
    for step in STEPS[:needed]:
        # The latest approval of this step given at this band or a higher one.
        # The requester's own approval (given on an earlier version they did not sign) never counts.
        approval = next(
            (
                a
                for a in reversed(given)
                if a.step == step and a.band >= needed and a.approved_by_id != course.signed_by_id
            ),
            None,
        )
        steps.append(StepState(step, str(step.label), approval, f"planner.approve_{step.value}"))
    return ApprovalStatus(
        required=needed > 0,
        days=days,
        band=needed,
        steps=tuple(steps),
        emergency=course.urgency == Course.Urgency.EMERGENCY,
        requester=course.signed_by,
        requested_at=course.signed_at,
        given=tuple(given),
    )


def check_releasable(course: Course, order: Order | None = None) -> None:
    """Raise WorkflowError while the order waits for approval (the blood bank does not issue)."""
    state = status(course, order)
    if not state.releasable:
        raise WorkflowError(
            _("Awaiting approval (%(steps)s): nothing is issued for this order until it is approved.")
            % {"steps": state.outstanding_words}
        )


# 5 % albumin: 20 mL of solution per gram, as the plan counts albumin_ml.
_ALBUMIN_ML_PER_G = 20


def _counted_package_ml(product: Product) -> int:
    """The counted volume of one package, as the plan counts it (plasma by volume, albumin as 5 % solution)."""
    if product.kind == Product.Kind.ALBUMIN:
        return int((product.grams_per_package or 0) * _ALBUMIN_ML_PER_G)
    return product.package_volume_ml


def check_within_plan(procedure: Procedure, record: SessionRecord | None, issued: IssuedProduct) -> None:
    """With approvals, a session is issued no more of a counted product than its plan gives (rounded up to
    whole packages): more needs a re-plan or an amendment, which goes through approval. Raises WorkflowError."""
    kind = issued.product.kind
    if not settings.APPROVALS_REQUIRED or kind not in settings.APPROVAL_COUNTED_KINDS:
        return
    if procedure.course.urgency == Course.Urgency.EMERGENCY:
        return  # exempt, approved afterwards
    fluids, _fractions, _reasons = session_fluids(procedure, plans.order_for(procedure.course))
    planned_ml = int(fluids.get(_FLUID_KEYS[kind]) or 0)
    earlier = record.issued_products.select_related("product").filter(product__kind=kind) if record else []
    issued_ml = sum(item.quantity * _counted_package_ml(item.product) for item in earlier)
    package_ml = _counted_package_ml(issued.product)
    if issued_ml + issued.quantity * package_ml > planned_ml + max(package_ml - 1, 0):
        raise WorkflowError(
            _(
                "%(product)s: this session's approved plan gives %(planned)s mL; %(issued)s mL would be issued. "
                "More goes through a re-plan or an amendment, and its approval."
            )
            % {"product": issued.product, "planned": planned_ml, "issued": issued_ml + issued.quantity * package_ml}
        )


@transaction.atomic
def approve(course: Course, step: str, *, by: object, note: str = "") -> Approval:
    """Give one step of the order's approval. Raises WorkflowError with the reason it cannot be given."""
    # FOR UPDATE of the course row only: PostgreSQL refuses it on the nullable side of the join to "original".
    course = Course.objects.select_for_update(of=("self",)).select_related("original", "signed_by").get(pk=course.pk)
    if not settings.APPROVALS_REQUIRED:
        raise WorkflowError(_("This unit does not use approvals of blood-product volume."))
    if course.status not in LIVE:
        raise WorkflowError(
            _("Only a signed order is approved; this one is %(status)s.") % {"status": course.get_status_display()}
        )
    if step not in Approval.Step.values:
        raise WorkflowError(_("Unknown approval step."))
    if not by.has_perm(f"planner.approve_{step}"):
        raise WorkflowError(
            _("You may not approve as %(step)s.") % {"step": Approval.Step(step).label},
        )
    if course.signed_by_id == by.pk:
        raise WorkflowError(_("The physician who requested the order (signed it) cannot approve it."))
    state = status(course)
    wanted = next((s for s in state.steps if s.step == step), None)
    if wanted is None:
        raise WorkflowError(
            _("At %(total)s mL on the highest day, this order does not need the %(step)s's approval.")
            % {"total": state.highest_ml, "step": Approval.Step(step).label}
        )
    if wanted.done:
        raise WorkflowError(_("%(step)s: already approved.") % {"step": wanted.label})
    if state.next_step is not wanted:
        raise WorkflowError(_("%(step)s approves first.") % {"step": state.next_step.label})
    if any(s.done and s.approval.approved_by_id == by.pk for s in state.steps):
        raise WorkflowError(_("You have given another step of this approval: each step is a different person."))
    return Approval.objects.create(
        order=root(course),
        course=course,
        step=step,
        band=state.band,
        day_total_ml=state.highest_ml,
        note=note.strip(),
        approved_by=by,
    )
