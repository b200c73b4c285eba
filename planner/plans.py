"""One plan per course, computed once; the plan a physician signed is stored and read back, never recomputed.

- `live_plan(course)`: a draft's plan, from its prescription and input snapshot, the catalogue as
  it is now (the course's device, the default products, the indication's replacement policy),
  the unit's settings and the sessions as scheduled. Drafts and amendments show this.
- `freeze(course, plan)`: at signing, in the same transaction, everything the order was computed
  from and everything it says, as JSON on the course (`Course.frozen_plan`), which the database
  then refuses to change (planner/db_guards.py).
- `order_for(course)`: what every reader shows: the frozen plan of a signed, superseded, cancelled
  or completed order, or the live plan of a draft, with the catalogue values it used.

What may change after signing, each as its own attributable record, never as a change to the
frozen plan: a session's re-plan when that day's fibrinogen is entered (computed with the order's
frozen policy and products, stored on the session); bookings (moves, and device changes only
between devices with identical plan values); session records. When sessions move, the course page
shows a re-projection on the dates as booked, marked as such, beside the frozen one.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from planner import booking
from planner.core.blood_volume import Build, Method, PaediatricTable, Sex
from planner.core.codec import StoredPlanError, plan_from_json, plan_to_json
from planner.core.device_numbers import DeviceSettings
from planner.core.exchange import (
    ExchangePlan,
    ExchangeRequest,
    LowFibrinogen,
    Marker,
    Policy,
    Prescription,
    plan_exchange,
    replacement_dict,
)
from planner.core.fluid_rules import FluidProposal, PatientFacts, ReplacementPolicy, propose_fluid
from planner.core.kinetics import FibrinogenModel
from planner.core.limits import InputError
from planner.core.modalities import Column, DfppSettings, IaSettings, Modality, Sieving
from planner.core.modalities import Fractionator as CoreFractionator
from planner.core.replacement import FRACTION_NAMES, FluidPlan, Products, Shares, replacement
from planner.core.snapshot import InputSnapshot, MarkerResult, Measured, MissingInputs
from planner.core.text import Message, gettext_noop
from planner.errors import WorkflowError
from planner.models import AdsorptionColumn, Course, Device, Fractionator, Indication, Patient, Procedure, Product
from planner.models.catalogue import IndicationWords
from planner.models.records import not_yet_run

# The patient's facts the fluid rule weighs, as Course fields.
FACTS = (
    "bleeding_or_coagulopathy",
    "procedure_within_48h",
    "liver_failure",
    "diffuse_alveolar_haemorrhage",
    "saline_share_wanted",
)


def policy_from_settings() -> Policy:
    return Policy(
        calcium_ml_per_litre=settings.CALCIUM_GLUCONATE_ML_PER_L,
        fibrinogen_trigger_g_per_l=settings.FIBRINOGEN_TRIGGER_G_PER_L,
        fibrinogen_target_g_per_l=settings.FIBRINOGEN_TARGET_G_PER_L,
        cryo_fibrinogen_mg_per_unit=settings.CRYO_FIBRINOGEN_MG_PER_UNIT,
        fibrinogen=FibrinogenModel(
            depletion_k=settings.FIBRINOGEN_DEPLETION_K,
            recovery_tau_hours=settings.FIBRINOGEN_RECOVERY_TAU_HOURS,
        ),
        igg_intravascular_fraction=settings.IGG_INTRAVASCULAR_FRACTION,
        ecv_warning_percent=settings.ECV_WARNING_PERCENT,
        ecv_prime_percent=settings.ECV_PRIME_PERCENT,
        rbc_haematocrit=settings.RBC_HAEMATOCRIT,
        ac_rate_limit_ml_per_min_per_l=settings.AC_RATE_LIMIT_ML_PER_MIN_PER_L,
        dfpp_albumin_warning_percent=settings.DFPP_ALBUMIN_WARNING_PERCENT,
        saline_warning_fraction=settings.SALINE_WARNING_FRACTION,
        paediatric=PaediatricTable(
            *settings.PAEDIATRIC_ML_PER_KG,
            max_age_years=settings.PAEDIATRIC_MAX_AGE_YEARS,
            max_weight_kg=settings.PAEDIATRIC_MAX_WEIGHT_KG,
        ),
    )


# --- the catalogue as the engine sees it -------------------------------------------------------


@dataclass(frozen=True)
class CatalogueChoice:
    """The products and device a plan is computed with, as rows of the catalogue."""

    device: Device
    albumin: Product | None = None
    plasma: Product | None = None
    saline: Product | None = None
    fractionator: Fractionator | None = None
    column: AdsorptionColumn | None = None

    def products(self) -> Products:
        reference = Products()
        return Products(
            albumin_percent=float(self.albumin.concentration_percent) if self.albumin else reference.albumin_percent,
            albumin_vial_ml=self.albumin.package_volume_ml if self.albumin else reference.albumin_vial_ml,
            plasma_unit_ml=self.plasma.package_volume_ml if self.plasma else reference.plasma_unit_ml,
            saline_bag_ml=self.saline.package_volume_ml if self.saline else reference.saline_bag_ml,
            target_albumin_percent=settings.TARGET_ALBUMIN_PERCENT,
        )

    def unverified(self, shares: Shares, *, plasma_possible: bool = False) -> tuple[str, ...]:
        """The rows a plan with these shares uses whose values the unit has not yet checked."""
        used = (
            self.device,
            self.fractionator,
            self.column,
            self.albumin if shares.albumin > 0 else None,
            self.plasma if shares.plasma > 0 or plasma_possible else None,
            self.saline if shares.saline > 0 or shares.albumin > 0 else None,
        )
        return tuple(row.name for row in used if row is not None and not row.is_verified)

    def as_json(self) -> dict[str, Any]:
        products = {}
        for kind in ("albumin", "plasma", "saline"):
            product = getattr(self, kind)
            if product is not None:
                products[kind] = {
                    "id": product.pk,
                    "name": product.name,
                    "concentration_percent": None
                    if product.concentration_percent is None
                    else f"{product.concentration_percent.normalize():f}",
                    "package_volume_ml": product.package_volume_ml,
                    "is_verified": product.is_verified,
                }
        device = {"id": self.device.pk, "name": self.device.name, **self.device.plan_values()}
        stored: dict[str, Any] = {"device": device, "products": products}
        if self.fractionator is not None:
            row = self.fractionator
            stored["fractionator"] = {
                "id": row.pk,
                "name": row.name,
                "sc_igg": f"{row.sc_igg.normalize():f}",
                "sc_albumin": f"{row.sc_albumin.normalize():f}",
                "sieving": row.sieving,
                "source": row.source,
                "evidence": row.evidence,
                "is_verified": row.is_verified,
            }
        if self.column is not None:
            row = self.column
            stored["column"] = {
                "id": row.pk,
                "name": row.name,
                "max_processed_ml": row.max_processed_ml,
                "igg_efficiency": None if row.igg_efficiency is None else f"{row.igg_efficiency.normalize():f}",
                "source": row.source,
                "evidence": row.evidence,
                "is_verified": row.is_verified,
            }
        return stored


def modality_request(
    modality: str,
    device: Device,
    *,
    fractionator: Fractionator | None = None,
    column: AdsorptionColumn | None = None,
    target_removal: Decimal | float | None = None,
    albumin_g_per_dl: Decimal | float | None = None,
) -> dict[str, Any]:
    """The procedure's part of an ExchangeRequest: DFPP with its fractionator, IA with its column.

    Raises InputError naming the input when the device cannot run it or a value is missing.
    """
    kind = Modality(modality or Modality.TPE)
    if kind is Modality.TPE:
        return {"modality": kind}
    if kind is Modality.DFPP:
        if not device.runs(kind):
            raise InputError("device", _("%(device)s does not run double filtration.") % {"device": device.name})
        if fractionator is None:
            raise InputError("fractionator", _("Double filtration needs a fractionator."))
        if target_removal is None:
            raise InputError(
                "target_removal",
                # xgettext:no-python-format
                _("Give the target IgG removal for double filtration (0.60 for 60 %)."),
            )
        if albumin_g_per_dl is None:
            raise InputError(
                "albumin_g_per_dl", _("Give the serum albumin (g/dL): the fractionator's loss is computed from it.")
            )
        return {
            "modality": kind,
            "dfpp": DfppSettings(
                fractionator=CoreFractionator(
                    name=fractionator.name,
                    sc_igg=float(fractionator.sc_igg),
                    sc_albumin=float(fractionator.sc_albumin),
                    sieving=Sieving(fractionator.sieving),
                ),
                target_removal=float(target_removal),
                albumin_g_per_dl=float(albumin_g_per_dl),
                discard_ratio=settings.DFPP_DISCARD_RATIO,
                plasma_flow_ml_per_min=settings.DFPP_PLASMA_FLOW_ML_PER_MIN,
            ),
        }
    if not device.runs(kind):
        raise InputError("device", _("%(device)s does not run immunoadsorption.") % {"device": device.name})
    if column is None:
        raise InputError("column", _("Immunoadsorption needs a column."))
    return {
        "modality": kind,
        "ia": IaSettings(
            column=Column(
                name=column.name,
                max_processed_ml=None if column.max_processed_ml is None else float(column.max_processed_ml),
                igg_efficiency=None if column.igg_efficiency is None else float(column.igg_efficiency),
            ),
            plasma_flow_ml_per_min=settings.IA_PLASMA_FLOW_ML_PER_MIN,
        ),
    }


def needed_products(shares: Shares, chosen: dict[str, Product | None] | None = None) -> dict[str, Product | None]:
    """The products a plan with these shares needs: the chosen ones, else the catalogue's defaults.

    Raises InputError (naming the `<kind>_product` input) when a needed kind has none set up.
    """
    chosen = chosen or {}
    needs = {
        "albumin": shares.albumin > 0,
        "plasma": shares.plasma > 0,
        "saline": shares.saline > 0 or shares.albumin > 0,
    }
    found = {}
    # The catalogue's defaults for the kinds not chosen, in one query.
    defaults = Product.objects.defaults_for(kind for kind in needs if not chosen.get(kind))
    for kind, needed in needs.items():
        product = chosen.get(kind) or defaults[kind]
        if product is None and needed:
            raise InputError(
                f"{kind}_product",
                _("No %(kind)s product is set up: an administrator adds one under Administration → Products.")
                % {"kind": Product.Kind(kind).label},
            )
        found[kind] = product
    return found


def check_plasma_for_sessions(plan: ExchangePlan, catalogue: CatalogueChoice) -> None:
    """A session given plasma for its projected fibrinogen needs a plasma product set up."""
    if plan.session_fluids and catalogue.plasma is None:
        needed_products(Shares(albumin=0.0, plasma=1.0))


def first_device(modality: str = "tpe") -> Device:
    """The device a calculation uses when none is named: the first centrifugal one in service, or for DFPP
    and IA the first that runs it."""
    # "centrifugal" sorts before "membrane".
    device = Device.objects.filter(Device.running(modality), is_active=True).order_by("kind", "name").first()
    if device is None:
        raise InputError("device", _("No device is set up: an administrator adds one under Administration → Devices."))
    return device


def device_settings(device: Device, *, inlet_ac_ratio: float | None, inlet_flow_ml_per_min: float) -> DeviceSettings:
    return DeviceSettings(
        name=device.name,
        ecv_typical_ml=device.ecv_typical_ml,
        ecv_max_ml=device.ecv_max_ml,
        plasma_removal_efficiency=float(device.plasma_removal_efficiency),
        inlet_ac_ratio=inlet_ac_ratio,
        inlet_flow_ml_per_min=inlet_flow_ml_per_min,
    )


# --- the patient's values ---------------------------------------------------------------------


def snapshot_of(patient: Patient) -> InputSnapshot:
    """The latest values an order is calculated from, each with when it was measured."""
    latest = patient.latest_measurements()
    missing = [name for name in ("weight_kg", "height_cm", "haematocrit") if latest[name] is None]
    if missing:
        raise InputError("__all__", _missing_message(missing))
    values = {
        name: Measured(Decimal(latest[name].value), latest[name].taken_at)
        for name in ("weight_kg", "height_cm", "haematocrit", "fibrinogen_g_per_l", "igg_g_per_l")
        if latest[name] is not None
    }
    marker = latest.marker
    if marker is not None:
        values["marker"] = MarkerResult(
            name=marker.marker_name,
            result=marker.marker_value,
            taken_at=marker.taken_at,
            is_igg_antibody=marker.marker_is_igg_antibody,
        )
    return InputSnapshot(**values)


def _missing_message(missing: list[str]) -> str:
    return _("Record the patient's %(missing)s before ordering: the exchange is calculated from them.") % {
        "missing": ", ".join(name.replace("_", " ") for name in missing)
    }


def marker_for_projection(snapshot: InputSnapshot) -> Marker | None:
    """A recorded IgG antibody with a plain number, which the course projection follows; else None."""
    if snapshot.marker is None or not snapshot.marker.is_igg_antibody:
        return None
    parsed = snapshot.marker.number_and_unit()
    return None if parsed is None else Marker(snapshot.marker.name, *parsed)


# --- the fluid proposal -----------------------------------------------------------------------


def propose(
    indication: Indication, *, age_years: float | None, facts: dict[str, bool], fibrinogen_g_per_l: float | None
) -> FluidProposal:
    return propose_fluid(
        ReplacementPolicy(indication.replacement_policy),
        PatientFacts(fibrinogen_g_per_l=fibrinogen_g_per_l, age_years=age_years, **facts),
        policy_from_settings().fluid_thresholds(),
    )


def low_fibrinogen_response(policy: ReplacementPolicy, *, plasma_wanted: bool) -> LowFibrinogen:
    if policy is ReplacementPolicy.PLASMA_AVOIDED:
        return LowFibrinogen.DELAY
    return LowFibrinogen.PLASMA if plasma_wanted else LowFibrinogen.WARN


# --- a course's plan --------------------------------------------------------------------------


def course_shares(course: Course) -> Shares:
    return Shares.from_fractions(
        {name: getattr(course, name) for name in ("albumin_fraction", "plasma_fraction", "saline_fraction")}
    )


@dataclass(frozen=True)
class Sessions:
    """The sessions a course's plan is projected on, in time order, each with its session number."""

    starts: list[datetime]
    numbers: tuple[int, ...]

    @property
    def hours(self) -> tuple[float, ...]:
        return hours_between(self.starts)


def _planned(course: Course) -> list[Procedure]:
    planned = [p for p in course.procedures.all() if p.status == Procedure.Status.PLANNED]
    return sorted(planned, key=lambda p: (p.starts_at, p.number))


def booked_sessions(course: Course) -> list[Procedure]:
    """The booked sessions a course is computed on: its own, or for an amendment not yet signed, the
    ones it takes over from the order it replaces when signed."""
    booked = _planned(course) if course.pk else []
    if not booked and course.previous_id and course.status == Course.Status.DRAFT:
        # Those that started or were recorded stay with the order they ran under.
        taken_over = not_yet_run(Procedure.objects.filter(course_id=course.previous_id))
        booked = sorted(taken_over, key=lambda p: (p.starts_at, p.number))
    return booked


def course_sessions(course: Course) -> Sessions:
    """The course as scheduled: its booked sessions, or else the recurrence's dates (at midnight)."""
    booked = booked_sessions(course)
    if booked:
        return Sessions([p.starts_at for p in booked], tuple(p.number for p in booked))
    try:
        days: list[date] = booking.course_dates(course)
    except InputError:
        days = [course.first_on]
    starts = [timezone.make_aware(datetime.combine(day, time())) for day in days]
    return Sessions(starts, tuple(range(1, len(starts) + 1)))


def session_starts(course: Course) -> list[datetime]:
    return course_sessions(course).starts


def hours_between(starts: list[datetime]) -> tuple[float, ...]:
    first = starts[0]
    return tuple((start - first).total_seconds() / 3600 for start in starts)


def course_request(course: Course, catalogue: CatalogueChoice, *, sessions: Sessions) -> ExchangeRequest:
    try:
        snapshot = InputSnapshot.from_json(course.inputs)
    except MissingInputs as missing:
        raise WorkflowError(
            _("This course has no recorded %(missing)s to calculate from.") % {"missing": ", ".join(missing.missing)}
        ) from None
    ratio = course.inlet_ac_ratio or course.device.default_inlet_ac_ratio
    low_fibrinogen = low_fibrinogen_response(
        ReplacementPolicy(course.indication.replacement_policy),
        # An order signed before plans were stored is never given plasma it was not signed with.
        plasma_wanted=course.plasma_for_low_fibrinogen and course.status == Course.Status.DRAFT,
    )
    return ExchangeRequest(
        sex=Sex(course.patient.sex),
        weight_kg=float(snapshot.weight_kg.value),
        height_cm=float(snapshot.height_cm.value),
        haematocrit=float(snapshot.haematocrit.value),
        plasma_volumes=float(course.plasma_volumes) if course.plasma_volumes is not None else 1.0,
        prescription=Prescription(course.prescription),
        prescribed_amount=_float_or_none(course.prescribed_amount),
        method=Method(course.method),
        build=Build(course.build) if course.build else None,
        age_years=course.patient.age_for_calculation(course.first_on),
        fluids=FluidPlan(course_shares(course)),
        products=catalogue.products(),
        device=device_settings(
            course.device,
            inlet_ac_ratio=float(ratio) if ratio and course.anticoagulant == Course.Anticoagulant.ACD_A else None,
            inlet_flow_ml_per_min=float(course.inlet_flow_ml_per_min or settings.DEFAULT_INLET_FLOW_ML_PER_MIN),
        ),
        fibrinogen_g_per_l=_float(snapshot.fibrinogen_g_per_l),
        igg_g_per_l=_float(snapshot.igg_g_per_l),
        marker=marker_for_projection(snapshot),
        session_hours=sessions.hours,
        session_numbers=sessions.numbers,
        low_fibrinogen=low_fibrinogen,
        unverified=catalogue.unverified(course_shares(course), plasma_possible=low_fibrinogen is LowFibrinogen.PLASMA),
        **modality_request(
            course.modality,
            course.device,
            fractionator=course.fractionator,
            column=course.column,
            target_removal=course.target_removal,
            albumin_g_per_dl=course.albumin_g_per_dl,
        ),
    )


def _float(measured: Measured | None) -> float | None:
    return None if measured is None else float(measured.value)


def _float_or_none(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def course_proposal(course: Course) -> FluidProposal:
    snapshot = InputSnapshot.from_json(course.inputs) if course.inputs else None
    fibrinogen = snapshot.fibrinogen_g_per_l if snapshot else None
    return propose(
        course.indication,
        age_years=course.patient.age_for_calculation(course.first_on),
        facts={fact: getattr(course, fact) for fact in FACTS},
        fibrinogen_g_per_l=_float(fibrinogen),
    )


@dataclass(frozen=True)
class LivePlan:
    plan: ExchangePlan
    catalogue: CatalogueChoice
    sessions: Sessions


def compute(course: Course) -> LivePlan:
    """A course's plan from today's catalogue and settings: for drafts, and at signing."""
    try:
        catalogue = CatalogueChoice(
            course.device,
            **needed_products(course_shares(course)),
            fractionator=course.fractionator if course.modality == Course.Modality.DFPP else None,
            column=course.column if course.modality == Course.Modality.IA else None,
        )
        sessions = course_sessions(course)
        request = course_request(course, catalogue, sessions=sessions)
        plan = plan_exchange(request, policy_from_settings(), proposal=course_proposal(course))
        check_plasma_for_sessions(plan, catalogue)
    except InputError as error:
        raise WorkflowError(error.message) from None
    return LivePlan(plan, catalogue, sessions)


def live_plan(course: Course) -> ExchangePlan:
    return compute(course).plan


# --- the frozen order -------------------------------------------------------------------------


def check_modality_offered(course: Course) -> None:
    """At signing, against the catalogue as it is then: DFPP or IA still listed for the indication, the
    fractionator or column still in stock, the device still running it."""
    if course.modality == Course.Modality.TPE:
        return
    label = course.get_modality_display()
    if not course.indication.modalities.filter(modality=course.modality, is_active=True).exists():
        raise WorkflowError(
            _("The catalogue no longer offers %(modality)s for %(indication)s: amend the order.")
            % {"modality": label, "indication": course.indication}
        )
    part = course.fractionator if course.modality == Course.Modality.DFPP else course.column
    if part is None or not part.is_active:
        raise WorkflowError(_("%(part)s is no longer in stock: choose another.") % {"part": part})
    if not course.device.runs(course.modality):
        raise WorkflowError(_("%(device)s does not run %(modality)s.") % {"device": course.device, "modality": label})


def indication_values(indication: Indication, modality: str = Modality.TPE) -> dict[str, Any]:
    """The indication's catalogue values an order uses; for DFPP or IA, also that modality's category
    and grade (ASFA rates each modality on its own)."""
    extra: dict[str, Any] = {}
    if modality != Modality.TPE:
        row = indication.modalities.filter(modality=modality, is_active=True).first()
        extra = {
            "modality": str(modality),
            "modality_category": row.category if row else "",
            "modality_grade": row.grade if row else "",
            "modality_needs_checking": row.needs_checking if row else False,
        }
    return extra | {
        "id": indication.pk,
        **{
            name: getattr(indication, name)
            for name in (
                "disease",
                "indication",
                "disease_zh",
                "indication_zh",
                "category",
                "grade",
                "course_notes",
                "course_notes_zh",
                "replacement_policy",
                "policy_source",
                "guideline_page",
                "default_sessions",
            )
        },
    }


def freeze(course: Course, live: LivePlan) -> dict[str, Any]:
    """Everything the order was computed from and says, as stored when it is signed."""
    return {
        **plan_to_json(live.plan),
        "frozen_at": timezone.now().isoformat(),
        "catalogue": {
            **live.catalogue.as_json(),
            "indication": indication_values(course.indication, course.modality),
        },
        # The patient's values with the time each was measured, as the order used them.
        "inputs": course.inputs,
        "session_starts": [start.isoformat() for start in live.sessions.starts],
    }


def unexplained_departures(course: Course, plan: ExchangePlan) -> str | None:
    """Why a course may not be signed as it stands, or None.

    The form asks for a reason when the shares differ from the proposal or the plasma proposed for
    sessions with fibrinogen projected low is declined; signing checks it again, since the catalogue
    (an indication's policy) or the sessions may have changed since the draft was saved.
    """
    if course.fluid_override_reason.strip():
        return None
    if plan.proposal is not None and course_shares(course).differs_from(plan.proposal.shares):
        return _(
            "The fluid proposal has changed since the draft was saved (now: %(shares)s): edit the draft and apply "
            "the proposal, or give the reason for overriding it."
        ) % {"shares": _shares_words(plan.proposal.shares)}
    trigger = plan.policy.fibrinogen_trigger_g_per_l
    if (
        plan.course is not None
        and plan.request.low_fibrinogen is LowFibrinogen.WARN
        and plan.course.fibrinogen_low_sessions(trigger)
        and plan.request.fluids.shares.plasma < plan.policy.plasma_last_share
    ):
        return _(
            "Fibrinogen is projected under the trigger and the plasma proposed for those sessions is declined: "
            "edit the draft and give the reason."
        )
    return None


def _shares_words(shares: Shares) -> str:
    return _("albumin %(a)s, plasma %(p)s, saline %(s)s") % {
        "a": f"{shares.albumin:.3f}",
        "p": f"{shares.plasma:.3f}",
        "s": f"{shares.saline:.3f}",
    }


def check_devices(course: Course) -> None:
    """Every booked session runs on a device with the values the order is computed with."""
    wanted = course.device.plan_values()
    for procedure in booked_sessions(course):
        if procedure.device_id != course.device_id and procedure.device.plan_values() != wanted:
            raise WorkflowError(
                _(
                    "Session %(number)s is booked on %(device)s, whose values differ from %(order_device)s, the "
                    "device this order is computed for: move the session or change the order's device."
                )
                % {"number": procedure.number, "device": procedure.device, "order_device": course.device}
            )


def digest(plan: ExchangePlan) -> str:
    """A fingerprint of a plan: the sign button carries the one its page showed."""
    canonical = json.dumps(plan_to_json(plan), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class IndicationAsOrdered(IndicationWords):
    """The indication's catalogue values as the order used them (frozen at signing)."""

    disease: str
    indication: str
    category: str
    grade: str
    course_notes: str
    replacement_policy: str
    disease_zh: str = ""
    indication_zh: str = ""
    course_notes_zh: str = ""
    policy_source: str = ""
    guideline_page: int | None = None
    id: int | None = None
    # The usual number of sessions when signed (0: no fixed course); absent from orders signed before.
    default_sessions: int | None = None
    # DFPP or IA: ASFA's category and grade for that modality (TPE's are `category` and `grade`).
    modality: str = "tpe"
    modality_category: str = ""
    modality_grade: str = ""
    modality_needs_checking: bool = False

    @property
    def is_not_recommended(self) -> bool:
        """ASFA category IV for the procedure ordered (a DFPP or IA row has its own category)."""
        return self.asfa_category == "IV"

    @property
    def asfa_category(self) -> str:
        """The category of the modality ordered: TPE's, or the DFPP or IA row's."""
        return self.modality_category if self.modality != "tpe" else self.category

    @property
    def asfa_grade(self) -> str:
        return self.modality_grade if self.modality != "tpe" else self.grade


@dataclass(frozen=True)
class Order:
    """What every page and printout of a course shows."""

    plan: ExchangePlan
    indication: IndicationAsOrdered
    products: dict[str, dict[str, Any]]
    # The plan as signed (True), or computed now from today's catalogue (a draft, or an order signed
    # before plans were stored: `is_legacy`).
    is_frozen: bool
    frozen_at: datetime | None = None
    session_starts: list[datetime] = field(default_factory=list)
    is_legacy: bool = False

    def product_name(self, kind: str) -> str:
        return str(self.products.get(kind, {}).get("name", ""))


def order_for(course: Course) -> Order:
    """The signed order exactly as frozen, or a draft's live plan. Raises WorkflowError if neither can be had."""
    if course.frozen_plan:
        try:
            plan = plan_from_json(course.frozen_plan)
        except StoredPlanError as error:
            raise WorkflowError(
                _("The stored plan of this order cannot be read: %(error)s") % {"error": error}
            ) from None
        catalogue = course.frozen_plan.get("catalogue", {})
        return Order(
            plan=plan,
            indication=IndicationAsOrdered(**catalogue["indication"]),
            products=catalogue.get("products", {}),
            is_frozen=True,
            frozen_at=datetime.fromisoformat(course.frozen_plan["frozen_at"]),
            session_starts=[datetime.fromisoformat(start) for start in course.frozen_plan.get("session_starts", [])],
        )
    live = compute(course)
    return Order(
        plan=live.plan,
        indication=IndicationAsOrdered(**indication_values(course.indication, course.modality)),
        products=live.catalogue.as_json()["products"],
        is_frozen=False,
        session_starts=live.sessions.starts,
        is_legacy=course.status != Course.Status.DRAFT,
    )


def session_fluids(procedure: Procedure, order: Order) -> tuple[dict, dict, list]:
    """What one session is given: that day's re-plan, else the order's plan for that session, else its base plan.

    Returns the rounded quantities, the shares and the reasons (stored messages) it differs.
    """
    if procedure.fluid_plan.get("replacement"):
        stored = procedure.fluid_plan
        fractions = {key: stored[key] for key in FRACTION_NAMES}
        return stored["replacement"], fractions, stored.get("reasons", [])
    planned = order.plan.fluids_for_session(procedure.number)
    if planned is not None:
        return replacement_dict(planned.replacement), planned.shares.as_fractions(), [planned.reason.as_json()]
    plan = order.plan
    return plan.rounded["replacement"], plan.request.fluids.shares.as_fractions(), []


def reprojection(course: Course, order: Order) -> ExchangePlan | None:
    """The frozen course projected on the sessions as booked now, when they differ from those signed.

    Computed from the frozen inputs and policy only; shown beside the frozen projection, never in its place.
    """
    if not order.is_frozen or order.plan.course is None:
        return None
    booked = _planned(course)
    starts, numbers = [p.starts_at for p in booked], tuple(p.number for p in booked)
    if not starts or (starts, numbers) == (order.session_starts, order.plan.request.session_numbers):
        return None
    request = replace(order.plan.request, session_hours=hours_between(starts), session_numbers=numbers)
    try:
        return plan_exchange(request, order.plan.policy, proposal=order.plan.proposal)
    except InputError:
        return None  # the frozen order stands; a re-projection that cannot be made is not shown


# --- that day's fibrinogen --------------------------------------------------------------------


def session_replan(course: Course, procedure: Procedure, fibrinogen_g_per_l: Decimal) -> dict[str, Any]:
    """This session's fluids from that day's fibrinogen, with the order's own policy and products.

    Stored on the session (never on the order): the choice, shares and reasons, whether it differs
    from what the order planned for this session, and the quantities to prepare.
    """
    order = order_for(course)
    plan = order.plan
    planned = plan.fluids_for_session(procedure.number)
    planned_shares = planned.shares if planned else plan.request.fluids.shares
    signed_shares = plan.request.fluids.shares
    proposal = propose_fluid(
        ReplacementPolicy(order.indication.replacement_policy),
        PatientFacts(
            fibrinogen_g_per_l=float(fibrinogen_g_per_l),
            age_years=plan.request.age_years,
            **{fact: getattr(course, fact) for fact in FACTS},
        ),
        plan.policy.fluid_thresholds(),
    )
    if proposal.shares.plasma > signed_shares.plasma and plan.request.modality is Modality.TPE:
        # That day's fibrinogen asks for more plasma than the order gives. (DFPP and IA keep what was
        # signed: their replacement is the fractionator's albumin, or none; the doses of fibrinogen
        # products and the warning are on the order, and the record page shows that day's value.)
        shares, reasons = proposal.shares, list(proposal.reasons)
    else:
        # The fluids the physician signed are a floor: a normal fibrinogen never takes plasma away, but
        # it does make the plasma planned only for a projected low fibrinogen unnecessary.
        shares = signed_shares
        trigger = plan.policy.fibrinogen_trigger_g_per_l
        words = (
            gettext_noop("Fibrinogen %(value)s g/L today, under the %(trigger)s g/L trigger: the fluids as signed.")
            if float(fibrinogen_g_per_l) < trigger
            else gettext_noop(
                "Fibrinogen %(value)s g/L today is not under the %(trigger)s g/L trigger: the fluids as signed."
            )
        )
        reasons = [
            Message(words, value=f"{fibrinogen_g_per_l.normalize():f}", trigger=f"{trigger:g}"),
            *(reason for reason in proposal.reasons if proposal.is_delay_advised),
        ]
    if plan.request.modality is Modality.TPE:
        fluids = replacement(
            plan.exchange_volume_ml, replace(plan.request.fluids, shares=shares), plan.request.products
        )
    else:
        fluids = plan.replacement
    return {
        "choice": proposal.choice.value if shares is proposal.shares else "as_signed",
        **shares.as_fractions(),
        "reasons": [reason.as_json() for reason in reasons],
        "differs_from_order": shares.differs_from(planned_shares),
        "is_delay_advised": proposal.is_delay_advised,
        "replacement": replacement_dict(fluids),
    }
