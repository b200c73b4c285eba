"""One exchange plan from the patient's numbers, the prescription, the products and the device.

Pure Python, the single entry point the command line, the JSON API and the web
calculator share: `plan_exchange(request)` checks the hard limits (raising
`InputError`, a ValueError naming the input), computes at full precision, and
returns an `ExchangePlan` whose `as_dict()` rounds once, at the edge: volumes
to whole mL, grams and calcium to 0.1, fractions to 3 decimals, minutes whole.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
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
from planner.core.kinetics import IGG_INTRAVASCULAR_FRACTION, CourseProjection, project_course
from planner.core.limits import InputError
from planner.core.replacement import FluidPlan, Products, Replacement, check_plan, check_products, replacement
from planner.core.text import _

PLASMA_VOLUMES_LIMITS = (0.25, 4.0)
MANUAL_TBV_LIMITS_ML = (50.0, 15000.0)
AGE_LIMITS_YEARS = (0.0, 120.0)
MAX_SESSIONS = 60


@dataclass(frozen=True)
class Policy:
    """The unit's thresholds: every one a setting staff can change."""

    calcium_ml_per_litre: float = 10
    fibrinogen_trigger_g_per_l: float = 1.0
    fibrinogen_recovery_at_72h: float = 0.66
    ecv_warning_percent: float = 15
    saline_warning_fraction: float = 0.20
    saline_max_fraction: float = 0.25
    usual_plasma_volumes: tuple[float, float] = (1.0, 1.5)
    haematocrit_usual: tuple[float, float] = (0.20, 0.55)
    nadler_min_weight_kg: float = 25
    obesity_bmi: float = 30
    paediatric: PaediatricTable = field(default_factory=PaediatricTable)


@dataclass(frozen=True)
class ExchangeRequest:
    sex: Sex
    weight_kg: float
    height_cm: float
    haematocrit: float
    plasma_volumes: float = 1.0
    method: Method = Method.NADLER
    build: Build | None = None
    age_years: float | None = None
    is_preterm: bool = False
    tbv_ml: float | None = None
    tbv_reason: str = ""
    fluids: FluidPlan = field(default_factory=FluidPlan)
    products: Products = field(default_factory=Products)
    device: DeviceSettings = field(default_factory=DeviceSettings)
    fibrinogen_g_per_l: float | None = None
    sessions: int | None = None
    interval_hours: float = 48
    intravascular_fraction: float = IGG_INTRAVASCULAR_FRACTION


@dataclass(frozen=True)
class PlanWarning:
    code: str
    message: str


@dataclass(frozen=True)
class ExchangePlan:
    request: ExchangeRequest
    blood_volume: BloodVolume
    plasma_volume_ml: float
    exchange_volume_ml: float
    removal_fraction: float
    replacement: Replacement
    numbers: DeviceNumbers
    course: CourseProjection | None
    warnings: tuple[PlanWarning, ...]

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-ready values, rounded once here."""
        fluids, proc = self.replacement, self.numbers
        result: dict[str, Any] = {
            "method": self.blood_volume.method.value,
            "formula": self.blood_volume.formula,
            "total_blood_volume_ml": volume(self.blood_volume.total_blood_volume_ml),
            "plasma_volume_ml": volume(self.plasma_volume_ml),
            "plasma_volumes": fraction(self.request.plasma_volumes),
            "exchange_volume_ml": volume(self.exchange_volume_ml),
            "removal_fraction": fraction(self.removal_fraction),
            "replacement": {
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
            },
            "device": self.request.device.name,
            "whole_blood_processed_ml": volume(proc.whole_blood_processed_ml),
            "inlet_volume_ml": volume(proc.inlet_volume_ml),
            "anticoagulant_ml": None if proc.anticoagulant_ml is None else volume(proc.anticoagulant_ml),
            "duration_min": volume(proc.duration_min),
            "calcium_gluconate_ml": tenth(proc.calcium_gluconate_ml),
            "extracorporeal_percent": tenth(proc.extracorporeal_percent),
            "extracorporeal_max_percent": tenth(proc.extracorporeal_max_percent),
            "warnings": [{"code": w.code, "message": w.message} for w in self.warnings],
        }
        if self.course is not None:
            result["course"] = {
                "intravascular_fraction": fraction(self.course.intravascular_fraction),
                "total_body_remaining": fraction(self.course.total_body_remaining),
                "sessions": [
                    {
                        "number": s.number,
                        "hours_from_first": tenth(s.hours_from_first),
                        "total_body_before": fraction(s.total_body_before),
                        "intravascular_after": fraction(s.intravascular_after),
                        "total_body_after": fraction(s.total_body_after),
                        "fibrinogen_before_g_per_l": None
                        if s.fibrinogen_before_g_per_l is None
                        else tenth(s.fibrinogen_before_g_per_l),
                    }
                    for s in self.course.sessions
                ],
            }
        return result


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


def check_request(request: ExchangeRequest, policy: Policy) -> None:
    """Hard limits: a value outside them is a typing error, not a patient."""
    for name in (
        "weight_kg",
        "height_cm",
        "haematocrit",
        "plasma_volumes",
        "age_years",
        "tbv_ml",
        "fibrinogen_g_per_l",
        "interval_hours",
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
    _within("plasma_volumes", request.plasma_volumes, *PLASMA_VOLUMES_LIMITS, "")
    if request.age_years is not None:
        _within("age_years", request.age_years, *AGE_LIMITS_YEARS, " years")
    if request.tbv_ml is not None:
        _within("tbv_ml", request.tbv_ml, *MANUAL_TBV_LIMITS_ML, " mL")
    if request.fibrinogen_g_per_l is not None:
        _within(
            "fibrinogen_g_per_l",
            request.fibrinogen_g_per_l,
            float(limits.FIBRINOGEN_G_PER_L.low),
            float(limits.FIBRINOGEN_G_PER_L.high),
            " g/L",
        )
    if request.sessions is not None:
        _within("sessions", request.sessions, 1, MAX_SESSIONS, "")
        _within("interval_hours", request.interval_hours, 12, 24 * 28, " h")
    if not 0 < request.intravascular_fraction <= 1:
        raise InputError("intravascular_fraction", "The intravascular fraction is above 0 and at most 1.")
    check_plan(request.fluids, saline_max_fraction=policy.saline_max_fraction)
    check_products(request.products)
    check_device(request.device)


def plan_exchange(request: ExchangeRequest, policy: Policy | None = None) -> ExchangePlan:
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
    exchange_ml = tpv * request.plasma_volumes
    fluids = replacement(exchange_ml, request.fluids, request.products)
    proc = device_numbers(
        exchange_volume_ml=exchange_ml,
        haematocrit=request.haematocrit,
        total_blood_volume_ml=tbv,
        returned_ml=fluids.total_ml,
        device=request.device,
        calcium_ml_per_litre=policy.calcium_ml_per_litre,
    )
    course = None
    if request.sessions is not None:
        course = project_course(
            plasma_volumes=request.plasma_volumes,
            sessions=request.sessions,
            interval_hours=request.interval_hours,
            intravascular_fraction=request.intravascular_fraction,
            plasma_fraction=request.fluids.plasma_fraction,
            fibrinogen_g_per_l=request.fibrinogen_g_per_l,
            fibrinogen_recovery_at_72h=policy.fibrinogen_recovery_at_72h,
        )
    return ExchangePlan(
        request=request,
        blood_volume=blood,
        plasma_volume_ml=tpv,
        exchange_volume_ml=exchange_ml,
        removal_fraction=removal_fraction(request.plasma_volumes),
        replacement=fluids,
        numbers=proc,
        course=course,
        warnings=tuple(_warnings(request, policy, proc, course)),
    )


def _warnings(
    request: ExchangeRequest, policy: Policy, proc: DeviceNumbers, course: CourseProjection | None
) -> list[PlanWarning]:
    found = []
    if proc.extracorporeal_max_percent > policy.ecv_warning_percent:
        found.append(
            PlanWarning(
                "ecv_over_15_percent",
                _(
                    "The extracorporeal volume is %(typical)s %% (up to %(max)s %%) of the blood volume, "
                    "over %(limit)s %%: consider priming with red cells or albumin."
                )
                % {
                    "typical": f"{proc.extracorporeal_percent:.1f}",
                    "max": f"{proc.extracorporeal_max_percent:.1f}",
                    "limit": f"{policy.ecv_warning_percent:g}",
                },
            )
        )
    low, high = policy.usual_plasma_volumes
    if not low <= request.plasma_volumes <= high:
        found.append(
            PlanWarning(
                "plasma_volumes_outside_1_to_1_5",
                _("%(volumes)s plasma volumes is outside the usual %(low)s–%(high)s; removal gains flatten past 1.5.")
                % {"volumes": f"{request.plasma_volumes:g}", "low": f"{low:g}", "high": f"{high:g}"},
            )
        )
    if request.method is Method.NADLER and request.weight_kg < policy.nadler_min_weight_kg:
        found.append(
            PlanWarning(
                "nadler_below_25_kg",
                _("Nadler's formula is not valid below %(weight)s kg: use the paediatric method.")
                % {"weight": f"{policy.nadler_min_weight_kg:g}"},
            )
        )
    bmi = body_mass_index(request.weight_kg, request.height_cm)
    if request.method is Method.WEIGHT and bmi >= policy.obesity_bmi:
        found.append(
            PlanWarning(
                "weight_rule_in_obesity",
                _("BMI %(bmi)s: the mL/kg rule overestimates blood volume in obesity; use Nadler or Lemmens.")
                % {"bmi": f"{bmi:.1f}"},
            )
        )
    trigger = policy.fibrinogen_trigger_g_per_l
    if request.fibrinogen_g_per_l is not None and request.fibrinogen_g_per_l < trigger:
        found.append(
            PlanWarning(
                "fibrinogen_below_trigger",
                _(
                    "Fibrinogen %(value)s g/L is below the %(trigger)s g/L trigger: replace part or all with plasma, or delay."  # noqa: E501
                )
                % {"value": f"{request.fibrinogen_g_per_l:g}", "trigger": f"{trigger:g}"},
            )
        )
    elif course is not None:
        low_sessions = [
            s.number
            for s in course.sessions
            if s.fibrinogen_before_g_per_l is not None and s.fibrinogen_before_g_per_l < trigger
        ]
        if low_sessions:
            found.append(
                PlanWarning(
                    "fibrinogen_below_trigger",
                    _(
                        "Fibrinogen is projected below the %(trigger)s g/L trigger before session %(session)s: "
                        "check it before each session; plasma or a longer interval may be needed."
                    )
                    % {"trigger": f"{trigger:g}", "session": low_sessions[0]},
                )
            )
    hct_low, hct_high = policy.haematocrit_usual
    if request.haematocrit < hct_low:
        found.append(
            PlanWarning(
                "low_haematocrit",
                _("Haematocrit %(value)s is below %(limit)s.")
                % {"value": f"{request.haematocrit:.0%}", "limit": f"{hct_low:.0%}"},
            )
        )
    if request.haematocrit > hct_high:
        found.append(
            PlanWarning(
                "high_haematocrit",
                _("Haematocrit %(value)s is above %(limit)s.")
                % {"value": f"{request.haematocrit:.0%}", "limit": f"{hct_high:.0%}"},
            )
        )
    if request.fluids.saline_fraction > policy.saline_warning_fraction:
        found.append(
            PlanWarning(
                "saline_fraction_high",
                _(
                    "Saline is %(share)s of the replacement, over %(limit)s: more hypotension, especially in the elderly."  # noqa: E501
                )
                % {"share": f"{request.fluids.saline_fraction:.0%}", "limit": f"{policy.saline_warning_fraction:.0%}"},
            )
        )
    return found
