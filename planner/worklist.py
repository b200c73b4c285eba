"""The blood bank's day: what to prepare for each of the day's sessions, totals, and issued against ordered.

Read from the same places as the printed slips (plans.session_fluids: a session's own re-plan,
else the signed order's plan for that session), so the screen and the paper agree.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from planner import approvals, plans, printing
from planner.core.blood_groups import compatible_plasma
from planner.errors import WorkflowError
from planner.models import Course, IssuedProduct, Procedure, Product, SessionRecord

# (kind, the slip's count of packages)
_PACKAGES = (
    (Product.Kind.ALBUMIN, "albumin_vials"),
    (Product.Kind.PLASMA, "plasma_units"),
    (Product.Kind.SALINE, "saline_bags"),
)


@dataclass
class Line:
    """One product for one session, or one total for the day."""

    kind: str
    product: str
    ordered: int
    issued: int = 0
    # Plasma: the group to prepare (the patient's own, AB while the patient's group is not known).
    group: str = ""

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.issued, 0)


@dataclass
class SessionToPrepare:
    procedure: Procedure
    lines: list[Line] = field(default_factory=list)
    plasma_groups: tuple[str, ...] = ()
    problem: str = ""
    # The red cells and albumin to prime a child's circuit (the signed plan's prime), for the blood bank.
    prime: dict | None = None

    @property
    def rows(self) -> list[Line | None]:
        """One table row per product; one (None) for a session with nothing to prepare."""
        return list(self.lines) or [None]


def _issued_by_kind(record: SessionRecord | None) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in record.issued_products.all() if record is not None else []:
        counts[item.product.kind] += item.quantity
    return counts


def day_worklist(day: date) -> tuple[list[SessionToPrepare], list[Line]]:
    """The day's planned sessions (as the day's printed batch holds them) and the totals per product
    and plasma group, each with what has been issued so far."""
    procedures = printing.day_procedures(day)
    records = SessionRecord.objects.filter(procedure__in=procedures).prefetch_related(
        Prefetch("issued_products", queryset=IssuedProduct.objects.select_related("product"))
    )
    by_procedure = {record.procedure_id: record for record in records}
    sessions, totals = [], {}
    orders: dict[int, plans.Order] = {}
    # Every signed order's approvals, read at once (a fixed number of queries for the whole day).
    signed = {p.course_id: p.course for p in procedures if p.course.status in approvals.LIVE}
    waiting = approvals.statuses(list(signed.values()))
    for procedure in procedures:
        session = SessionToPrepare(procedure, plasma_groups=compatible_plasma(procedure.course.patient.abo_group))
        sessions.append(session)
        if procedure.course.status not in (Course.Status.SIGNED, Course.Status.IN_PROGRESS):
            session.problem = _("Not signed: nothing to prepare yet.")
            continue
        try:
            order = orders.get(procedure.course_id) or plans.order_for(procedure.course)
        except WorkflowError as error:
            session.problem = error.message
            continue
        orders[procedure.course_id] = order
        approval = waiting[procedure.course_id]
        if not approval.releasable:
            # Nothing is prepared for an order still awaiting its approvals (APPROVALS_REQUIRED).
            session.problem = _("Awaiting approval (%(steps)s): nothing to prepare yet.") % {
                "steps": approval.outstanding_words
            }
            continue
        fluids, _fractions, _reasons = plans.session_fluids(procedure, order)
        session.prime = order.plan.rounded.get("prime")
        issued = _issued_by_kind(by_procedure.get(procedure.pk))
        for kind, packages in _PACKAGES:
            if not fluids.get(packages) and not issued.get(kind):
                continue
            group = session.plasma_groups[0] if kind == Product.Kind.PLASMA else ""
            product = order.product_name(kind) or str(Product.Kind(kind).label)
            line = Line(kind, product, fluids.get(packages) or 0, issued.get(kind, 0), group)
            session.lines.append(line)
            total = totals.setdefault((kind, product, group), Line(kind, product, 0, 0, group))
            total.ordered += line.ordered
            total.issued += line.issued
    order_of_kinds = [kind for kind, _packages in _PACKAGES]
    return sessions, sorted(totals.values(), key=lambda t: (order_of_kinds.index(t.kind), t.product, t.group))
