"""One exchange plan from the patient's numbers, the prescription, the products and the device.

Pure Python, the single entry point every door shares: `plan_exchange(request, policy)` checks
the hard limits (raising `InputError`, a ValueError naming the input), computes at full precision,
and returns an `ExchangePlan`: every input (the request and the unit's policy) and every result,
typed. `as_dict()` rounds once, at the edge: volumes to whole mL, grams and calcium to 0.1,
fibrinogen to 0.01 g/L, fractions to 3 decimals, minutes whole. An order a physician signs stores
the plan itself (`planner.core.codec`), so a later engine, catalogue or setting never changes it.
"""

import math
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from planner.core import limits
from planner.core.blood_volume import (
    BloodVolume,
    BloodVolumeInput,
    Build,
    Method,
    PaediatricTable,
    Sex,
    body_mass_index,
    plasma_volume_ml,
    removal_fraction,
    total_blood_volume,
)
from planner.core.device_numbers import DeviceNumbers, DeviceSettings, check_device, device_numbers
from planner.core.fibrinogen import FibrinogenDoses, fibrinogen_doses
from planner.core.fluid_rules import FluidChoice, FluidProposal, FluidThresholds, plasma_share_words, shares_for
from planner.core.kinetics import (
    IGG_INTRAVASCULAR_FRACTION,
    CourseProjection,
    FibrinogenModel,
    PlasmaTopUp,
    project_course,
)
from planner.core.limits import InputError
from planner.core.modalities import DfppResult, DfppSettings, IaResult, IaSettings, Modality, dfpp, immunoadsorption
from planner.core.prime import Prime
from planner.core.replacement import (
    FluidPlan,
    Products,
    Replacement,
    Shares,
    check_plan,
    check_products,
    replacement,
)
from planner.core.text import Message, _, gettext_noop

PLASMA_VOLUMES_LIMITS = (0.25, 4.0)
MANUAL_TBV_LIMITS_ML = (50.0, 15000.0)
AGE_LIMITS_YEARS = (0.0, 120.0)
MAX_SESSIONS = 60
INTERVAL_LIMITS_HOURS = (12.0, 24.0 * 28)


@dataclass(frozen=True)
class Policy:
    """The unit's thresholds and model constants: every one a setting staff can change."""

    calcium_ml_per_litre: float = 10
    fibrinogen_trigger_g_per_l: float = 1.0
    # Under the trigger, the doses of plasma, cryoprecipitate and concentrate that raise fibrinogen to this.
    fibrinogen_target_g_per_l: float = 1.5
    # Fibrinogen in one unit of cryoprecipitate (cliot's default; a local value).
    cryo_fibrinogen_mg_per_unit: float = 250
    fibrinogen: FibrinogenModel = field(default_factory=FibrinogenModel)
    igg_intravascular_fraction: float = IGG_INTRAVASCULAR_FRACTION
    # Extracorporeal volume as % of blood volume: a warning from the first, a required prime from the second.
    ecv_warning_percent: float = 10
    ecv_prime_percent: float = 15
    # The AC (citrate) infusion rate limit, mL/min per litre of blood volume: the top of Spectra Optia's
    # settable range (0.8–1.2). Checked for children (see `is_child`), where it bounds the inlet flow.
    ac_rate_limit_ml_per_min_per_l: float = 1.2
    # The haematocrit of the red cells a prime is made with (a local value).
    rbc_haematocrit: float = 0.60
    saline_warning_fraction: float = 0.20
    # DFPP: the albumin concentration of the discard's replacement that warns (dfpp-sim: 6 %).
    dfpp_albumin_warning_percent: float = 6
    saline_max_fraction: float = 0.25
    plasma_last_share: float = 1 / 3
    saline_share: float = 0.20
    saline_min_age_years: float = 18
    saline_max_age_excluded: float = 65
    usual_plasma_volumes: tuple[float, float] = (1.0, 1.5)
    haematocrit_usual: tuple[float, float] = (0.20, 0.55)
    nadler_min_weight_kg: float = 25
    obesity_bmi: float = 30
    paediatric: PaediatricTable = field(default_factory=PaediatricTable)

    def fluid_thresholds(self) -> FluidThresholds:
        return FluidThresholds(
            fibrinogen_trigger_g_per_l=self.fibrinogen_trigger_g_per_l,
            plasma_last_share=self.plasma_last_share,
            saline_share=self.saline_share,
            saline_min_age_years=self.saline_min_age_years,
            saline_max_age_excluded=self.saline_max_age_excluded,
        )


class LowFibrinogen(StrEnum):
    """What the plan does for a session before which fibrinogen is projected under the trigger."""

    # Warn only (the calculator without an indication; a physician who declined the plasma).
    WARN = "warn"
    # Give the plasma-last share for that session, and say so.
    PLASMA = "plasma"
    # Plasma is avoided for the indication: delay the session or lengthen the interval.
    DELAY = "delay"


class Prescription(StrEnum):
    """How the volume of each session is prescribed (clinical-reference-modalities.md §3)."""

    # A multiple of the patient's plasma volume (ASFA's 1–1.5 TPV).
    PLASMA_VOLUMES = "plasma_volumes"
    # mL per kg of body weight (PEXIVAS: 60 mL/kg).
    ML_PER_KG = "ml_per_kg"
    # A fixed volume in mL (units short of plasma: a Wuhan series averaged 2,270 mL).
    FIXED_ML = "fixed_ml"


# What a mL/kg or fixed prescription may be; its equivalent must also lie within PLASMA_VOLUMES_LIMITS.
ML_PER_KG_LIMITS = (5.0, 150.0)
FIXED_ML_LIMITS = (50.0, 15000.0)


@dataclass(frozen=True)
class Marker:
    """A recorded IgG autoantibody (anti-Dsg3, anti-MDA5) that falls as IgG does."""

    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class ExchangeRequest:
    sex: Sex
    weight_kg: float
    height_cm: float
    haematocrit: float
    # The plasma volumes to exchange. For a mL/kg or fixed-volume prescription the plan puts here the
    # equivalent it computed (exchange ÷ plasma volume), which every projection and warning then uses.
    plasma_volumes: float = 1.0
    method: Method = Method.NADLER
    build: Build | None = None
    prescription: Prescription = Prescription.PLASMA_VOLUMES
    # mL/kg or mL, for those prescriptions.
    prescribed_amount: float | None = None
    age_years: float | None = None
    is_preterm: bool = False
    tbv_ml: float | None = None
    tbv_reason: str = ""
    fluids: FluidPlan = field(default_factory=FluidPlan)
    products: Products = field(default_factory=Products)
    device: DeviceSettings = field(default_factory=DeviceSettings)
    fibrinogen_g_per_l: float | None = None
    igg_g_per_l: float | None = None
    marker: Marker | None = None
    # Hours from the first session of each session of the course, as scheduled; None: one session.
    session_hours: tuple[float, ...] | None = None
    # Each of those sessions' numbers (a course's booked sessions keep theirs); None: 1, 2, 3 ...
    session_numbers: tuple[int, ...] | None = None
    low_fibrinogen: LowFibrinogen = LowFibrinogen.WARN
    # Catalogue rows (device, products) the unit has not yet checked against its own stock and device.
    unverified: tuple[str, ...] = ()
    # The procedure: TPE (centrifugal or membrane, by the device), DFPP with its fractionator, or IA
    # with its column. DFPP is prescribed by a target IgG removal; IA by the prescription (PV or mL).
    modality: Modality = Modality.TPE
    dfpp: DfppSettings | None = None
    ia: IaSettings | None = None


@dataclass(frozen=True)
class PlanWarning:
    code: str
    message: Message
    # The sessions it is about, for a course projection's warnings.
    sessions: tuple[int, ...] = ()


@dataclass(frozen=True)
class SessionFluids:
    """A session whose replacement differs from the order's base plan, and why."""

    number: int
    shares: Shares
    replacement: Replacement
    reason: Message


@dataclass(frozen=True)
class ExchangePlan:
    request: ExchangeRequest
    policy: Policy
    blood_volume: BloodVolume
    plasma_volume_ml: float
    # Plasma removed and replaced: TPE's exchange, DFPP's discard, none for IA.
    exchange_volume_ml: float
    # The intravascular IgG removed per session; None for IA on a column without an efficiency.
    removal_fraction: float | None
    replacement: Replacement
    numbers: DeviceNumbers
    course: CourseProjection | None
    session_fluids: tuple[SessionFluids, ...]
    proposal: FluidProposal | None
    warnings: tuple[PlanWarning, ...]
    # Red cells and albumin to prime the circuit, when the extracorporeal volume requires a prime.
    prime: Prime | None = None
    # Plasma, cryoprecipitate and concentrate doses, when the measured fibrinogen is under the trigger.
    fibrinogen_doses: FibrinogenDoses | None = None
    dfpp: DfppResult | None = None
    ia: IaResult | None = None

    @property
    def processed_plasma_ml(self) -> float:
        """The plasma that passes the filter or column (DFPP, IA), or that is exchanged (TPE)."""
        if self.dfpp is not None:
            return self.dfpp.processed_plasma_ml
        if self.ia is not None:
            return self.ia.processed_plasma_ml
        return self.exchange_volume_ml

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)

    def fluids_for_session(self, number: int) -> SessionFluids | None:
        return next((fluids for fluids in self.session_fluids if fluids.number == number), None)

    @cached_property
    def rounded(self) -> dict[str, Any]:
        """`as_dict()` computed once per plan, for templates that read it many times."""
        return self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-ready values, rounded once here."""
        proc = self.numbers
        result: dict[str, Any] = {
            "method": self.blood_volume.method.value,
            "formula": self.blood_volume.formula,
            "total_blood_volume_ml": volume(self.blood_volume.total_blood_volume_ml),
            "plasma_volume_ml": volume(self.plasma_volume_ml),
            # DFPP is prescribed by its target removal, not plasma volumes: see processed_plasma_volumes.
            "plasma_volumes": None if self.dfpp is not None else fraction(self.request.plasma_volumes),
            "prescription": self.request.prescription.value,
            "prescribed_amount": self.request.prescribed_amount,
            "exchange_volume_ml": volume(self.exchange_volume_ml),
            "removal_fraction": None if self.removal_fraction is None else fraction(self.removal_fraction),
            "modality": self.request.modality.value,
            "processed_plasma_ml": volume(self.processed_plasma_ml),
            "processed_plasma_volumes": fraction(self.processed_plasma_ml / self.plasma_volume_ml),
            "dfpp": None
            if self.dfpp is None
            else {
                "fractionator": self.request.dfpp.fractionator.name,
                "target_removal": fraction(self.request.dfpp.target_removal),
                "albumin_lost_g": tenth(self.dfpp.albumin_lost_g),
                "discard_ml": volume(self.dfpp.discard_ml),
                "discard_albumin_percent": tenth(self.dfpp.discard_albumin_percent),
                "plasma_flow_ml_per_min": self.request.dfpp.plasma_flow_ml_per_min,
                "discard_flow_ml_per_min": tenth(self.dfpp.discard_flow_ml_per_min),
            },
            "ia": None
            if self.ia is None
            else {
                "column": self.request.ia.column.name,
                "prescribed_ml": volume(self.ia.prescribed_ml),
                "is_capped": self.ia.is_capped,
                "plasma_flow_ml_per_min": self.request.ia.plasma_flow_ml_per_min,
            },
            "shares": self.request.fluids.shares.as_fractions(),
            "fluid_balance": fraction(self.request.fluids.fluid_balance),
            "replacement": replacement_dict(self.replacement),
            "device": self.request.device.name,
            "whole_blood_processed_ml": volume(proc.whole_blood_processed_ml),
            "inlet_volume_ml": volume(proc.inlet_volume_ml),
            "anticoagulant_ml": None if proc.anticoagulant_ml is None else volume(proc.anticoagulant_ml),
            "duration_min": volume(proc.duration_min),
            "calcium_gluconate_ml": tenth(proc.calcium_gluconate_ml),
            "extracorporeal_percent": tenth(proc.extracorporeal_percent),
            "extracorporeal_max_percent": tenth(proc.extracorporeal_max_percent),
            "ac_rate_ml_per_min_per_l": None
            if proc.ac_rate_ml_per_min_per_l is None
            else float(_round(proc.ac_rate_ml_per_min_per_l, "0.01")),
            "max_inlet_flow_ml_per_min": None
            if proc.max_inlet_flow_ml_per_min is None
            else tenth(proc.max_inlet_flow_ml_per_min),
            "prime": None
            if self.prime is None
            else {
                "circuit_ml": volume(self.prime.circuit_ml),
                "rbc_ml": tenth(self.prime.rbc_ml),
                "albumin_ml": tenth(self.prime.albumin_ml),
                "rbc_haematocrit": fraction(self.prime.rbc_haematocrit),
                "prime_haematocrit": fraction(self.prime.prime_haematocrit),
                "target_haematocrit": fraction(self.prime.target_haematocrit),
                "saline_haematocrit": fraction(self.prime.saline_haematocrit),
            },
            "fibrinogen_doses": None if self.fibrinogen_doses is None else _doses_dict(self.fibrinogen_doses),
            "warnings": [
                {"code": w.code, "message": str(w.message), **({"sessions": list(w.sessions)} if w.sessions else {})}
                for w in self.warnings
            ],
        }
        if self.proposal is not None:
            result["proposal"] = {
                "choice": self.proposal.choice.value,
                **self.proposal.shares.as_fractions(),
                "reasons": [str(reason) for reason in self.proposal.reasons],
                "is_plasma_withheld": self.proposal.is_plasma_withheld,
                "is_delay_advised": self.proposal.is_delay_advised,
            }
        if self.course is not None:
            result["course"] = self._course_dict(self.course)
            result["session_fluids"] = [
                {
                    "number": fluids.number,
                    **fluids.shares.as_fractions(),
                    "replacement": replacement_dict(fluids.replacement),
                    "reason": str(fluids.reason),
                }
                for fluids in self.session_fluids
            ]
        return result

    def _course_dict(self, course: CourseProjection) -> dict[str, Any]:
        igg, marker = self.request.igg_g_per_l, self.request.marker
        trigger = self.policy.fibrinogen_trigger_g_per_l
        sessions = []
        for s in course.sessions:
            row: dict[str, Any] = {
                "number": s.number,
                "hours_from_first": tenth(s.hours_from_first),
                "total_body_before": fraction(s.total_body_before),
                "intravascular_after": fraction(s.intravascular_after),
                "total_body_after": fraction(s.total_body_after),
                "fibrinogen_before_g_per_l": fibrinogen_shown(s.fibrinogen_before_g_per_l, trigger),
                "fibrinogen_after_g_per_l": fibrinogen_shown(s.fibrinogen_after_g_per_l, trigger),
                "is_fibrinogen_below_trigger": s.fibrinogen_before_g_per_l is not None
                and s.fibrinogen_before_g_per_l < trigger,
                "plasma_fraction": fraction(s.plasma_fraction),
                "is_topped_up": s.is_topped_up,
            }
            if igg is not None:
                row["igg_before_g_per_l"] = tenth(igg * s.total_body_before)
                row["igg_after_g_per_l"] = tenth(igg * s.intravascular_after)
            if marker is not None:
                row["marker_after"] = _significant(marker.value * s.total_body_after)
            sessions.append(row)
        result: dict[str, Any] = {
            "intravascular_fraction": fraction(course.intravascular_fraction),
            "total_body_remaining": fraction(course.total_body_remaining),
            "fibrinogen_trigger_g_per_l": trigger,
            "fibrinogen_low_sessions": list(course.fibrinogen_low_sessions(trigger)),
            "sessions": sessions,
        }
        if marker is not None:
            result["marker"] = {"name": marker.name, "value": marker.value, "unit": marker.unit}
        return result


def _doses_dict(doses: FibrinogenDoses) -> dict[str, Any]:
    return {
        "target_g_per_l": doses.target_g_per_l,
        "plasma_ml_low": volume(doses.plasma_ml_low),
        "plasma_ml_high": volume(doses.plasma_ml_high),
        "plasma_units_low": doses.plasma_units_low,
        "plasma_units_high": doses.plasma_units_high,
        "cryo_units": doses.cryo_units,
        "cryo_mg_per_unit": doses.cryo_mg_per_unit,
        "concentrate_mg_per_kg": tenth(doses.concentrate_mg_per_kg),
        "concentrate_mg": volume(doses.concentrate_mg),
    }


def replacement_dict(fluids: Replacement) -> dict[str, Any]:
    return {
        "total_ml": volume(fluids.total_ml),
        "albumin_ml": volume(fluids.albumin_ml),
        "albumin_g": tenth(fluids.albumin_g),
        "albumin_vials": fluids.albumin_vials,
        "albumin_diluent_ml": volume(fluids.albumin_diluent_ml),
        "plasma_ml": volume(fluids.plasma_ml),
        "plasma_units": fluids.plasma_units,
        "saline_ml": volume(fluids.saline_ml),
        "saline_bags": fluids.saline_bags,
        "infusion_order": list(fluids.infusion_order),
    }


def _round(value: float, places: str) -> Decimal:
    # Half up on the shortest decimal form of the float, as a person rounds: 28.95 -> 29.0.
    return Decimal(repr(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def volume(value: float) -> int:
    """Whole mL (and whole minutes)."""
    return int(_round(value, "1"))


def tenth(value: float) -> float:
    """Grams, calcium mL and percentages to 0.1."""
    return float(_round(value, "0.1"))


def fraction(value: float) -> float:
    """Fractions to 3 decimals."""
    return float(_round(value, "0.001"))


def fibrinogen_shown(value: float | None, trigger: float) -> float | None:
    """Fibrinogen to 0.01 g/L, or to 0.001 where 0.01 would round a value under the trigger up to it.

    A projected 0.9968 g/L is under a 1.0 g/L trigger; shown as "1.00" it would contradict its own
    warning, so it shows as 0.997.
    """
    if value is None:
        return None
    shown = float(_round(value, "0.01"))
    if not value < trigger <= shown:
        return shown
    finer = float(_round(value, "0.001"))
    # 0.9996 would round up to the trigger even at 0.001: show it rounded down (0.999).
    return finer if finer < trigger else float(Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_DOWN))


def beyond(value: float, limit: float, decimals: int) -> str:
    """A value past a limit, to `decimals` places or as many more as it takes not to read as the limit.

    Haematocrit 0.199 against a 20 % limit reads "19.9", not "20"; saline 0.201 against 20 %, "20.1".
    """
    for places in range(decimals, decimals + 4):
        text = f"{value:.{places}f}"
        if float(text) != round(limit, places):
            return text
    return text


def _fibrinogen_words(value: float, trigger: float) -> str:
    return f"{fibrinogen_shown(value, trigger):g}"


def _significant(value: float) -> float:
    """A marker's projected value to 3 significant figures, as its assay reports it (28.5128 -> 28.5)."""
    return float(f"{value:.3g}")


def _finite(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
        raise InputError(name, f"{name} must be a finite number.")


def _within(name: str, value: float, low: float, high: float, unit: str) -> None:
    if not low <= value <= high:
        raise InputError(
            name,
            _("%(value)s is outside the limits %(low)s–%(high)s.")
            % {"value": f"{value:g}{unit}", "low": f"{low:g}", "high": f"{high:g}{unit}"},
        )


def course_hours(sessions: int, interval_hours: float) -> tuple[float, ...]:
    """Session times for `sessions` sessions every `interval_hours`, each checked against its limits."""
    _finite("interval_hours", interval_hours)
    _within("sessions", sessions, 1, MAX_SESSIONS, "")
    _within("interval_hours", interval_hours, *INTERVAL_LIMITS_HOURS, " h")
    return tuple(number * interval_hours for number in range(sessions))


def check_request(request: ExchangeRequest, policy: Policy) -> None:
    """Hard limits: a value outside them is a typing error, not a patient."""
    for name in (
        "weight_kg",
        "height_cm",
        "haematocrit",
        "plasma_volumes",
        "prescribed_amount",
        "age_years",
        "tbv_ml",
        "fibrinogen_g_per_l",
        "igg_g_per_l",
    ):
        _finite(name, getattr(request, name))
    _within("weight_kg", request.weight_kg, float(limits.WEIGHT_KG.low), float(limits.WEIGHT_KG.high), " kg")
    _within("height_cm", request.height_cm, float(limits.HEIGHT_CM.low), float(limits.HEIGHT_CM.high), " cm")
    if request.haematocrit > 1:
        suggestion = limits.haematocrit_as_fraction(Decimal(repr(request.haematocrit)))
        raise InputError(
            "haematocrit",
            _("Haematocrit is a fraction: did you mean %(suggestion)s?") % {"suggestion": suggestion}
            if suggestion is not None
            else _("Haematocrit is a fraction."),
        )
    _within("haematocrit", request.haematocrit, float(limits.HAEMATOCRIT.low), float(limits.HAEMATOCRIT.high), "")
    if request.prescription is Prescription.PLASMA_VOLUMES:
        _within("plasma_volumes", request.plasma_volumes, *PLASMA_VOLUMES_LIMITS, "")
    else:
        per_kg = request.prescription is Prescription.ML_PER_KG
        if request.prescribed_amount is None:
            raise InputError(
                "prescribed_amount",
                _("Give the mL/kg to exchange.") if per_kg else _("Give the volume to exchange in mL."),
            )
        low, high = ML_PER_KG_LIMITS if per_kg else FIXED_ML_LIMITS
        _within("prescribed_amount", request.prescribed_amount, low, high, " mL/kg" if per_kg else " mL")
    if request.age_years is not None:
        _within("age_years", request.age_years, *AGE_LIMITS_YEARS, " years")
    if request.tbv_ml is not None:
        _within("tbv_ml", request.tbv_ml, *MANUAL_TBV_LIMITS_ML, " mL")
    for name, allowed in (("fibrinogen_g_per_l", limits.FIBRINOGEN_G_PER_L), ("igg_g_per_l", limits.IGG_G_PER_L)):
        value = getattr(request, name)
        if value is not None:
            _within(name, value, float(allowed.low), float(allowed.high), " g/L")
    if request.marker is not None:
        _finite("marker", request.marker.value)
        if request.marker.value < 0:
            raise InputError("marker", "A marker's value cannot be negative.")
    if request.session_hours is not None:
        hours = request.session_hours
        _within("sessions", len(hours), 1, MAX_SESSIONS, "")
        if (
            not all(math.isfinite(h) for h in hours)
            or hours[0] != 0
            or any(b < a for a, b in zip(hours, hours[1:], strict=False))
        ):
            raise InputError("session_hours", "Session times start at 0 h and never go back.")
        numbers = request.session_numbers
        if numbers is not None and (len(numbers) != len(hours) or len(set(numbers)) != len(numbers)):
            raise InputError("session_numbers", "Each session has one number of its own.")
    if request.modality is Modality.DFPP and request.dfpp is None:
        raise InputError("fractionator", _("Double filtration needs a fractionator."))
    if request.modality is Modality.IA and request.ia is None:
        raise InputError("column", _("Immunoadsorption needs a column."))
    if not 0 < policy.igg_intravascular_fraction <= 1:
        raise InputError("intravascular_fraction", "The intravascular fraction is above 0 and at most 1.")
    check_plan(request.fluids, saline_max_fraction=policy.saline_max_fraction)
    check_products(request.products)
    check_device(request.device)


def _ia_prescribed_ml(request: ExchangeRequest, plasma_volume: float) -> float:
    """IA's plasma to process, as prescribed: plasma volumes (ASFA's 1.5–3) or a fixed volume or mL/kg,
    refused beyond the plasma volumes a multiple may have (as for TPE)."""
    if request.prescription is Prescription.PLASMA_VOLUMES:
        return plasma_volume * request.plasma_volumes
    prescribed = prescribed_exchange_ml(request, plasma_volume)
    equivalent_plasma_volumes(request, prescribed, plasma_volume)
    return prescribed


def dfpp_replacement(result: DfppResult, products: Products) -> Replacement:
    """The discard replaced by an albumin solution holding the albumin the fractionator took:
    whole vials of the stock albumin, made up to the discard's volume with 0.9 % saline."""
    vials = math.ceil(result.albumin_lost_g / products.albumin_grams_per_vial - 1e-9)
    diluent = max(0.0, result.discard_ml - vials * products.albumin_vial_ml)
    return Replacement(
        total_ml=result.discard_ml,
        saline_ml=0.0,
        albumin_ml=result.discard_ml,
        albumin_g=result.albumin_lost_g,
        albumin_vials=vials,
        albumin_diluent_ml=diluent,
        plasma_ml=0.0,
        plasma_units=0,
        saline_bags=math.ceil(diluent / products.saline_bag_ml - 1e-9),
        infusion_order=("albumin",),
    )


def _modality_warnings(
    request: ExchangeRequest, policy: Policy, dfpp_result: DfppResult | None, ia_result: IaResult | None
) -> list[PlanWarning]:
    found = []
    if dfpp_result is not None:
        found.append(
            PlanWarning(
                "dfpp_fibrinogen_not_projected",
                Message(
                    gettext_noop(
                        "Fibrinogen falls steeply with DFPP and no fractionator's fibrinogen coefficient is verified: "
                        "it is not projected; a fibrinogen measured before each session is required."
                    )
                ),
            )
        )
        if dfpp_result.discard_albumin_percent > policy.dfpp_albumin_warning_percent:
            found.append(
                PlanWarning(
                    "dfpp_replacement_albumin_high",
                    Message(
                        gettext_noop(
                            "The albumin the fractionator takes (%(grams)s g) in the %(discard)s mL discard is a "
                            "%(percent)s %% solution, over %(limit)s %%: raise the discard ratio or accept a "
                            "concentrated replacement."
                        ),
                        grams=f"{tenth(dfpp_result.albumin_lost_g):g}",
                        discard=str(volume(dfpp_result.discard_ml)),
                        percent=beyond(dfpp_result.discard_albumin_percent, policy.dfpp_albumin_warning_percent, 1),
                        limit=f"{policy.dfpp_albumin_warning_percent:g}",
                    ),
                )
            )
    if ia_result is not None:
        column = request.ia.column
        if ia_result.is_capped:
            found.append(
                PlanWarning(
                    "ia_column_capped",
                    Message(
                        gettext_noop(
                            "%(prescribed)s mL prescribed, but %(column)s takes at most %(cap)s mL a session: "
                            "%(cap)s mL is processed."
                        ),
                        prescribed=str(volume(ia_result.prescribed_ml)),
                        column=column.name,
                        cap=f"{column.max_processed_ml:g}",
                    ),
                )
            )
        if ia_result.removal_fraction is None:
            found.append(
                PlanWarning(
                    "ia_no_efficiency",
                    Message(
                        gettext_noop(
                            "No IgG removal efficiency is entered for %(column)s (none is published): no IgG fall "
                            "is projected; record IgG before and after the session."
                        ),
                        column=column.name,
                    ),
                )
            )
    return found


def prescribed_exchange_ml(request: ExchangeRequest, plasma_volume: float) -> float:
    """The volume to exchange each session, as prescribed."""
    if request.prescription is Prescription.ML_PER_KG:
        return request.prescribed_amount * request.weight_kg
    if request.prescription is Prescription.FIXED_ML:
        return request.prescribed_amount
    return plasma_volume * request.plasma_volumes


def equivalent_plasma_volumes(request: ExchangeRequest, exchange_ml: float, plasma_volume: float) -> float:
    """A mL/kg or fixed prescription as plasma volumes, refused outside the limits a multiple has."""
    volumes = exchange_ml / plasma_volume
    low, high = PLASMA_VOLUMES_LIMITS
    if not low <= volumes <= high:
        raise InputError(
            "prescribed_amount",
            _(
                "%(amount)s is %(volumes)s plasma volumes for this patient (plasma volume %(tpv)s mL), outside "
                "%(low)s–%(high)s."
            )
            % {
                "amount": prescription_words(request),
                "volumes": f"{volumes:.2f}",
                "tpv": f"{plasma_volume:.0f}",
                "low": f"{low:g}",
                "high": f"{high:g}",
            },
        )
    return volumes


def prescription_words(request: ExchangeRequest) -> str:
    """The prescription as written: "1.5 plasma volumes", "60 mL/kg", "2270 mL"."""
    if request.prescription is Prescription.ML_PER_KG:
        return f"{request.prescribed_amount:g} mL/kg"
    if request.prescription is Prescription.FIXED_ML:
        return f"{request.prescribed_amount:g} mL"
    return str(_("%(volumes)s plasma volumes") % {"volumes": f"{request.plasma_volumes:g}"})


def volumes_words(request: ExchangeRequest) -> str:
    """The plasma volumes as prescribed (1.5) or, for a volume prescription, its equivalent to 0.01 (1.45)."""
    if request.prescription is Prescription.PLASMA_VOLUMES:
        return f"{request.plasma_volumes:g}"
    return f"{request.plasma_volumes:.2f}"


def plan_exchange(
    request: ExchangeRequest, policy: Policy | None = None, *, proposal: FluidProposal | None = None
) -> ExchangePlan:
    """The plan for one session of the request, and for its course when it has session times.

    `proposal` is the fluid rule's proposal the prescription started from, kept with the plan
    so the order shows it and its reasons; the plan itself uses the request's shares.
    """
    policy = policy or Policy()
    check_request(request, policy)
    blood = total_blood_volume(
        BloodVolumeInput(
            method=request.method,
            sex=request.sex,
            weight_kg=request.weight_kg,
            height_cm=request.height_cm,
            build=request.build,
            age_years=request.age_years,
            is_preterm=request.is_preterm,
            manual_tbv_ml=request.tbv_ml,
            manual_reason=request.tbv_reason,
            paediatric=policy.paediatric,
        )
    )
    tbv = blood.total_blood_volume_ml
    tpv = plasma_volume_ml(tbv, request.haematocrit)
    dfpp_result = ia_result = None
    if request.modality is Modality.DFPP:
        dfpp_result = dfpp(request.dfpp, tpv)
        processed_ml, exchange_ml = dfpp_result.processed_plasma_ml, dfpp_result.discard_ml
        fluids = dfpp_replacement(dfpp_result, request.products)
        removal, course_x = request.dfpp.target_removal, -math.log(1 - request.dfpp.target_removal)
    elif request.modality is Modality.IA:
        ia_result = immunoadsorption(request.ia, _ia_prescribed_ml(request, tpv), tpv)
        processed_ml, exchange_ml = ia_result.processed_plasma_ml, 0.0
        fluids = replacement(0.0, replace(request.fluids, shares=Shares(albumin=1.0)), request.products)
        removal = ia_result.removal_fraction
        course_x = None if removal is None else -math.log(1 - removal)
    else:
        exchange_ml = processed_ml = prescribed_exchange_ml(request, tpv)
        if request.prescription is not Prescription.PLASMA_VOLUMES:
            request = replace(request, plasma_volumes=equivalent_plasma_volumes(request, exchange_ml, tpv))
        fluids = replacement(exchange_ml, request.fluids, request.products)
        removal, course_x = removal_fraction(request.plasma_volumes), request.plasma_volumes
    proc = device_numbers(
        exchange_volume_ml=processed_ml,
        haematocrit=request.haematocrit,
        total_blood_volume_ml=tbv,
        # DFPP and IA return the processed plasma (less the discard, replaced): calcium per litre of it.
        returned_ml=fluids.total_ml if request.modality is Modality.TPE else processed_ml,
        device=request.device,
        calcium_ml_per_litre=policy.calcium_ml_per_litre,
        ac_rate_limit_ml_per_min_per_l=policy.ac_rate_limit_ml_per_min_per_l,
    )
    if dfpp_result or ia_result:
        # The filter or column runs at the plasma flow, the separator at the inlet flow: the slower sets the time.
        proc = replace(proc, duration_min=max(proc.duration_min, (dfpp_result or ia_result).duration_min))
    course, session_fluids = None, ()
    if request.session_hours is not None and request.modality is Modality.TPE:
        course, session_fluids = _course(request, policy, exchange_ml)
    elif request.session_hours is not None and course_x is not None:
        # IgG only: no fibrinogen projection for DFPP or IA (no verified coefficient), no plasma top-up.
        course = project_course(
            plasma_volumes=course_x,
            session_hours=request.session_hours,
            session_numbers=request.session_numbers,
            intravascular_fraction=policy.igg_intravascular_fraction,
        )
    prime = None
    if proc.extracorporeal_max_percent > policy.ecv_prime_percent:
        # The circuit as it runs (its typical volume), primed to keep the patient's own haematocrit.
        prime = Prime(
            circuit_ml=request.device.ecv_typical_ml,
            total_blood_volume_ml=tbv,
            haematocrit=request.haematocrit,
            target_haematocrit=request.haematocrit,
            rbc_haematocrit=policy.rbc_haematocrit,
        )
    doses = None
    if request.fibrinogen_g_per_l is not None and request.fibrinogen_g_per_l < policy.fibrinogen_trigger_g_per_l:
        doses = fibrinogen_doses(
            measured_g_per_l=request.fibrinogen_g_per_l,
            target_g_per_l=policy.fibrinogen_target_g_per_l,
            weight_kg=request.weight_kg,
            plasma_volume_ml=tpv,
            plasma_unit_ml=request.products.plasma_unit_ml,
            cryo_mg_per_unit=policy.cryo_fibrinogen_mg_per_unit,
        )
    return ExchangePlan(
        request=request,
        policy=policy,
        blood_volume=blood,
        plasma_volume_ml=tpv,
        exchange_volume_ml=exchange_ml,
        removal_fraction=removal,
        replacement=fluids,
        numbers=proc,
        course=course,
        session_fluids=session_fluids,
        proposal=proposal,
        warnings=tuple(
            _warnings(request, policy, proc, course, proposal, doses)
            + _modality_warnings(request, policy, dfpp_result, ia_result)
        ),
        prime=prime,
        fibrinogen_doses=doses,
        dfpp=dfpp_result,
        ia=ia_result,
    )


def _course(
    request: ExchangeRequest, policy: Policy, exchange_ml: float
) -> tuple[CourseProjection, tuple[SessionFluids, ...]]:
    """The course as scheduled, and the sessions given plasma because fibrinogen is projected low."""
    thresholds = policy.fluid_thresholds()
    topped = shares_for(FluidChoice.ALBUMIN_PLASMA_LAST, thresholds)
    top_up = None
    if request.low_fibrinogen is LowFibrinogen.PLASMA:
        top_up = PlasmaTopUp(policy.fibrinogen_trigger_g_per_l, topped.plasma)
    course = project_course(
        plasma_volumes=request.plasma_volumes,
        session_hours=request.session_hours or (),
        session_numbers=request.session_numbers,
        intravascular_fraction=policy.igg_intravascular_fraction,
        plasma_fraction=request.fluids.shares.plasma,
        fibrinogen_g_per_l=request.fibrinogen_g_per_l,
        fibrinogen=policy.fibrinogen,
        top_up=top_up,
    )
    session_fluids = tuple(
        SessionFluids(
            number=s.number,
            shares=topped,
            replacement=replacement(exchange_ml, replace(request.fluids, shares=topped), request.products),
            reason=Message(
                gettext_noop(
                    "Fibrinogen projected at %(value)s g/L before this session, under the %(trigger)s g/L "
                    "trigger: %(share)s plasma."
                ),
                value=_fibrinogen_words(s.fibrinogen_before_g_per_l, policy.fibrinogen_trigger_g_per_l),
                trigger=f"{policy.fibrinogen_trigger_g_per_l:g}",
                share=plasma_share_words(thresholds),
            ),
        )
        for s in course.sessions
        if s.is_topped_up and s.fibrinogen_before_g_per_l is not None
    )
    return course, session_fluids


def is_child(request: ExchangeRequest, policy: Policy) -> bool:
    """Under the paediatric age limit, or of unknown age and within the paediatric weight limit.

    An unknown age is not taken for an adult's: a 12 kg patient without a birth date is a child here.
    """
    table = policy.paediatric
    if request.age_years is None:
        return request.weight_kg <= table.max_weight_kg
    return request.age_years < table.max_age_years


def _numbers(sessions: tuple[int, ...]) -> str:
    return ", ".join(str(number) for number in sessions)


def _warnings(
    request: ExchangeRequest,
    policy: Policy,
    proc: DeviceNumbers,
    course: CourseProjection | None,
    proposal: FluidProposal | None,
    doses: FibrinogenDoses | None = None,
) -> list[PlanWarning]:
    found = []
    if proc.extracorporeal_max_percent > policy.ecv_prime_percent:
        found.append(
            PlanWarning(
                "ecv_over_15_percent",
                Message(
                    gettext_noop(
                        "The extracorporeal volume is %(typical)s %% (up to %(max)s %%) of the blood volume, "
                        "over %(limit)s %%: a prime is required (red cells, or albumin)."
                    ),
                    typical=f"{proc.extracorporeal_percent:.1f}",
                    max=beyond(proc.extracorporeal_max_percent, policy.ecv_prime_percent, 1),
                    limit=f"{policy.ecv_prime_percent:g}",
                ),
            )
        )
    elif proc.extracorporeal_max_percent > policy.ecv_warning_percent:
        found.append(
            PlanWarning(
                "ecv_over_10_percent",
                Message(
                    gettext_noop(
                        "The extracorporeal volume is %(typical)s %% (up to %(max)s %%) of the blood volume, "
                        "over %(limit)s %%: consider priming with red cells or albumin."
                    ),
                    typical=f"{proc.extracorporeal_percent:.1f}",
                    max=beyond(proc.extracorporeal_max_percent, policy.ecv_warning_percent, 1),
                    limit=f"{policy.ecv_warning_percent:g}",
                ),
            )
        )
    if (
        proc.max_inlet_flow_ml_per_min is not None
        and request.device.inlet_flow_ml_per_min > proc.max_inlet_flow_ml_per_min
        and is_child(request, policy)
    ):
        found.append(
            PlanWarning(
                "inlet_flow_over_ac_limit",
                Message(
                    gettext_noop(
                        "An inlet flow of %(flow)s mL/min gives ACD-A at %(rate)s mL/min per litre of blood volume, "
                        "over the %(limit)s limit for a child: at most %(max)s mL/min (about %(minutes)s min for "
                        "this exchange)."
                    ),
                    flow=f"{request.device.inlet_flow_ml_per_min:g}",
                    rate=f"{proc.ac_rate_ml_per_min_per_l:.2f}",
                    limit=f"{policy.ac_rate_limit_ml_per_min_per_l:g}",
                    max=f"{tenth(proc.max_inlet_flow_ml_per_min):g}",
                    minutes=str(math.ceil(proc.inlet_volume_ml / proc.max_inlet_flow_ml_per_min)),
                ),
            )
        )
    low, high = policy.usual_plasma_volumes
    if request.modality is Modality.TPE and not low <= request.plasma_volumes <= high:
        found.append(
            PlanWarning(
                "plasma_volumes_outside_1_to_1_5",
                Message(
                    gettext_noop(
                        "%(volumes)s plasma volumes is outside the usual %(low)s–%(high)s; removal gains flatten "
                        "past 1.5."
                    ),
                    volumes=volumes_words(request),
                    low=f"{low:g}",
                    high=f"{high:g}",
                ),
            )
        )
    if request.method is Method.NADLER and request.weight_kg < policy.nadler_min_weight_kg:
        found.append(
            PlanWarning(
                "nadler_below_25_kg",
                Message(
                    gettext_noop("Nadler's formula is not valid below %(weight)s kg: use the paediatric method."),
                    weight=f"{policy.nadler_min_weight_kg:g}",
                ),
            )
        )
    table = policy.paediatric
    if request.method is Method.PAEDIATRIC and not table.covers(request.age_years, request.weight_kg):
        found.append(
            PlanWarning(
                "paediatric_table_outside_range",
                Message(
                    gettext_noop(
                        "The paediatric table is for children under %(age)s years and up to %(weight)s kg "
                        "(this patient: %(years)s years, %(kg)s kg): use Nadler."
                    ),
                    age=f"{table.max_age_years:g}",
                    weight=f"{table.max_weight_kg:g}",
                    years="—" if request.age_years is None else f"{request.age_years:g}",
                    kg=f"{request.weight_kg:g}",
                ),
            )
        )
    bmi = body_mass_index(request.weight_kg, request.height_cm)
    if request.method in (Method.WEIGHT, Method.KAPLAN) and bmi >= policy.obesity_bmi:
        found.append(
            PlanWarning(
                "weight_rule_in_obesity",
                Message(
                    gettext_noop(
                        "BMI %(bmi)s: the mL/kg rule overestimates blood volume in obesity; use Nadler or Lemmens."
                    ),
                    bmi=f"{bmi:.1f}",
                ),
            )
        )
    trigger = policy.fibrinogen_trigger_g_per_l
    if doses is not None:
        found.append(
            PlanWarning(
                "fibrinogen_below_trigger",
                Message(
                    gettext_noop(
                        "Fibrinogen %(value)s g/L is below the %(trigger)s g/L trigger: replace part or all with "
                        "plasma, give cryoprecipitate (%(cryo)s units) or fibrinogen concentrate (%(mg)s mg) to reach "
                        "%(target)s g/L, or delay."
                    ),
                    value=f"{request.fibrinogen_g_per_l:g}",
                    trigger=f"{trigger:g}",
                    cryo=str(doses.cryo_units),
                    mg=str(volume(doses.concentrate_mg)),
                    target=f"{doses.target_g_per_l:g}",
                ),
            )
        )
    if course is not None:
        found += _course_warnings(request, policy, course)
    if proposal is not None and proposal.is_plasma_withheld:
        found.append(
            PlanWarning(
                "plasma_avoided",
                Message(
                    gettext_noop(
                        "A reason for plasma applies, but plasma is avoided for this indication: the plan stays "
                        "plasma-free."
                    )
                ),
            )
        )
    hct_low, hct_high = policy.haematocrit_usual
    if request.haematocrit < hct_low:
        found.append(
            PlanWarning(
                "low_haematocrit",
                Message(
                    gettext_noop("Haematocrit %(value)s is below %(limit)s."),
                    value=beyond(request.haematocrit * 100, hct_low * 100, 0) + "%",
                    limit=f"{hct_low * 100:g}%",
                ),
            )
        )
    if request.haematocrit > hct_high:
        found.append(
            PlanWarning(
                "high_haematocrit",
                Message(
                    gettext_noop("Haematocrit %(value)s is above %(limit)s."),
                    value=beyond(request.haematocrit * 100, hct_high * 100, 0) + "%",
                    limit=f"{hct_high * 100:g}%",
                ),
            )
        )
    if request.fluids.shares.saline > policy.saline_warning_fraction:
        found.append(
            PlanWarning(
                "saline_fraction_high",
                Message(
                    gettext_noop(
                        "Saline is %(share)s of the replacement, over %(limit)s: more hypotension, especially in "
                        "the elderly."
                    ),
                    share=beyond(request.fluids.shares.saline * 100, policy.saline_warning_fraction * 100, 0) + "%",
                    limit=f"{policy.saline_warning_fraction * 100:g}%",
                ),
            )
        )
    if request.unverified:
        found.append(
            PlanWarning(
                "catalogue_not_verified",
                Message(
                    gettext_noop(
                        "Standard catalogue values the unit has not yet checked against its own stock and devices: "
                        "%(names)s."
                    ),
                    names="; ".join(request.unverified),
                ),
            )
        )
    return found


def _course_warnings(request: ExchangeRequest, policy: Policy, course: CourseProjection) -> list[PlanWarning]:
    """Projected fibrinogen under the trigger, by session number, with what the plan does about it."""
    trigger = policy.fibrinogen_trigger_g_per_l
    low = course.fibrinogen_low_sessions(trigger)
    if not low:
        return []
    first = course.session(low[0])
    values = {
        "trigger": f"{trigger:g}",
        "session": str(low[0]),
        "value": _fibrinogen_words(first.fibrinogen_before_g_per_l, trigger),
        "sessions": _numbers(low),
    }
    topped = course.topped_up_sessions
    if request.low_fibrinogen is LowFibrinogen.PLASMA and topped:
        message = Message(
            gettext_noop(
                "Fibrinogen is projected under the %(trigger)s g/L trigger before session %(session)s "
                "(%(value)s g/L): plasma is planned for sessions %(planned)s. Check fibrinogen before each session."
            ),
            planned=_numbers(topped),
            **values,
        )
    elif request.fluids.shares.plasma > 0:
        message = Message(
            gettext_noop(
                "Fibrinogen is projected under the %(trigger)s g/L trigger before session %(session)s "
                "(%(value)s g/L; sessions %(sessions)s), although every session already gives plasma "
                "(%(share)s of the replacement): check it before each session; more plasma, a longer interval "
                "or a delay may be needed."
            ),
            share=f"{request.fluids.shares.plasma:.0%}",
            **values,
        )
    elif request.low_fibrinogen is LowFibrinogen.DELAY:
        message = Message(
            gettext_noop(
                "Fibrinogen is projected under the %(trigger)s g/L trigger before session %(session)s "
                "(%(value)s g/L), and plasma is avoided for this indication: lengthen the interval or delay "
                "sessions %(sessions)s until fibrinogen recovers."
            ),
            **values,
        )
    else:
        message = Message(
            gettext_noop(
                "Fibrinogen is projected under the %(trigger)s g/L trigger before session %(session)s "
                "(%(value)s g/L; sessions %(sessions)s): check it before each session; plasma or a longer "
                "interval may be needed."
            ),
            **values,
        )
    return [PlanWarning("fibrinogen_projected_below_trigger", message, low)]
