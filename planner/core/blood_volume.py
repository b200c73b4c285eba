"""Total blood volume (TBV) and total plasma volume (TPV).

Pure Python: no Django. Every function takes and returns plain numbers in the
units its name carries, at full precision; rounding happens once, when a plan
is shown (see planner.core.exchange). Sources are in docs/clinical-reference and in
each docstring.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum

from planner.core.limits import InputError


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Method(StrEnum):
    NADLER = "nadler"
    GILCHER = "gilcher"
    LEMMENS = "lemmens"
    WEIGHT = "weight"
    KAPLAN = "kaplan"
    PAEDIATRIC = "paediatric"
    MANUAL = "manual"


class Build(StrEnum):
    MUSCULAR = "muscular"
    NORMAL = "normal"
    THIN = "thin"
    OBESE = "obese"


# Gilcher's rule of five, mL/kg by sex and build.
GILCHER_ML_PER_KG: dict[Sex, dict[Build, float]] = {
    Sex.MALE: {Build.MUSCULAR: 75, Build.NORMAL: 70, Build.THIN: 65, Build.OBESE: 60},
    Sex.FEMALE: {Build.MUSCULAR: 70, Build.NORMAL: 65, Build.THIN: 60, Build.OBESE: 55},
}

WEIGHT_RULE_ML_PER_KG: dict[Sex, float] = {Sex.MALE: 70, Sex.FEMALE: 65}
KAPLAN_ML_PER_KG = 65.0

NEONATE_MAX_AGE_YEARS = 28 / 365.25
INFANT_MAX_AGE_YEARS = 1.0


@dataclass(frozen=True)
class PaediatricTable:
    """mL/kg by age band, and the children it is for; a unit sets its own.

    Defaults: preterm neonate 100, term neonate 85, infant to 12 months 80, child 1–17 years 70
    (Galacki, J Clin Apher 1997;12:1). The lower child value is the conservative one for the exchange
    and for the extracorporeal-volume check alike. The table is for children under `max_age_years` and
    up to `max_weight_kg` (the more conservative of the published cut-offs for switching to Nadler).
    """

    preterm_neonate: float = 100
    term_neonate: float = 85
    infant: float = 80
    child: float = 70
    max_age_years: float = 18
    max_weight_kg: float = 35

    def covers(self, age_years: float | None, weight_kg: float) -> bool:
        """A child the table is for: age known, under the age limit, at most the weight limit."""
        return age_years is not None and age_years < self.max_age_years and weight_kg <= self.max_weight_kg

    def ml_per_kg(self, age_years: float, *, is_preterm: bool = False) -> float:
        if age_years < NEONATE_MAX_AGE_YEARS:
            return self.preterm_neonate if is_preterm else self.term_neonate
        if age_years < INFANT_MAX_AGE_YEARS:
            return self.infant
        return self.child


@dataclass(frozen=True)
class BloodVolumeInput:
    method: Method
    sex: Sex
    weight_kg: float
    height_cm: float
    build: Build | None = None
    age_years: float | None = None
    is_preterm: bool = False
    manual_tbv_ml: float | None = None
    manual_reason: str = ""
    paediatric: PaediatricTable = field(default_factory=PaediatricTable)


@dataclass(frozen=True)
class BloodVolume:
    method: Method
    total_blood_volume_ml: float
    formula: str
    source: str


def default_method(age_years: float | None, weight_kg: float, table: PaediatricTable) -> Method:
    """The blood-volume method when none is chosen: the paediatric table for a child it covers, Nadler
    otherwise (which warns under 25 kg). An unknown age is not taken for an adult's: the table needs
    the age, so Nadler is used and its warnings stand."""
    return Method.PAEDIATRIC if table.covers(age_years, weight_kg) else Method.NADLER


def body_mass_index(weight_kg: float, height_cm: float) -> float:
    return weight_kg / (height_cm / 100) ** 2


def nadler_ml(sex: Sex, weight_kg: float, height_cm: float) -> float:
    """Nadler, Hidalgo & Bloch, Surgery 1962: TBV in litres from height (m) and weight (kg).

    What Spectra Optia and COBE Spectra use. Not valid below about 25 kg.
    """
    height_m = height_cm / 100
    if sex is Sex.MALE:
        litres = 0.3669 * height_m**3 + 0.03219 * weight_kg + 0.6041
    else:
        litres = 0.3561 * height_m**3 + 0.03308 * weight_kg + 0.1833
    return litres * 1000


def lemmens_ml(weight_kg: float, height_cm: float) -> float:
    """Lemmens, Bernstein & Brodsky, Obes Surg 2006;16:773: W × 70 / √(BMI / 22) mL, for obesity."""
    return weight_kg * 70 / math.sqrt(body_mass_index(weight_kg, height_cm) / 22)


def total_blood_volume(given: BloodVolumeInput) -> BloodVolume:
    """TBV by the chosen method. Raises ValueError when the method lacks what it needs."""
    method, sex, weight = given.method, given.sex, given.weight_kg
    if method is Method.NADLER:
        if sex is Sex.MALE:
            formula = "0.3669·H³ + 0.03219·W + 0.6041 L (H in m, W in kg)"
        else:
            formula = "0.3561·H³ + 0.03308·W + 0.1833 L (H in m, W in kg)"
        return BloodVolume(
            method, nadler_ml(sex, weight, given.height_cm), f"Nadler: {formula}", "Nadler et al., Surgery 1962"
        )
    if method is Method.GILCHER:
        if given.build is None:
            raise InputError("build", "The Gilcher rule needs a build (muscular, normal, thin or obese).")
        ml_per_kg = GILCHER_ML_PER_KG[sex][given.build]
        return BloodVolume(
            method, weight * ml_per_kg, f"Gilcher rule of five: {ml_per_kg:g} mL/kg × W", "Gilcher, rule of five"
        )
    if method is Method.LEMMENS:
        return BloodVolume(
            method,
            lemmens_ml(weight, given.height_cm),
            "Lemmens: W × 70 / √(BMI / 22) mL",
            "Lemmens et al., Obes Surg 2006;16:773",
        )
    if method is Method.WEIGHT:
        ml_per_kg = WEIGHT_RULE_ML_PER_KG[sex]
        return BloodVolume(method, weight * ml_per_kg, f"{ml_per_kg:g} mL/kg × W", "weight-based rule")
    if method is Method.KAPLAN:
        # Kaplan-type plasma volume, TPV = 0.065 × W × (1 − Hct) L (Balogun, Kaplan et al., J Clin Apher 2010):
        # a blood volume of 65 mL/kg, for men and women alike.
        return BloodVolume(
            method,
            weight * KAPLAN_ML_PER_KG,
            f"Kaplan: {KAPLAN_ML_PER_KG:g} mL/kg × W (TPV = 0.065 × W × (1 − Hct) L)",
            "Balogun, Kaplan et al., J Clin Apher 2010",
        )
    if method is Method.PAEDIATRIC:
        if given.age_years is None:
            raise InputError("age_years", "The paediatric table needs the patient's age.")
        ml_per_kg = given.paediatric.ml_per_kg(given.age_years, is_preterm=given.is_preterm)
        return BloodVolume(
            method, weight * ml_per_kg, f"paediatric table: {ml_per_kg:g} mL/kg × W", "paediatric mL/kg table"
        )
    if method is Method.MANUAL:
        if given.manual_tbv_ml is None:
            raise InputError("tbv_ml", "A manual blood volume needs the value from the device.")
        if not given.manual_reason.strip():
            raise InputError(
                "tbv_reason", "Say why the blood volume is typed in (for example 'from the Optia screen')."
            )
        return BloodVolume(
            method, given.manual_tbv_ml, f"typed in: {given.manual_reason.strip()}", "device or manual value"
        )
    raise InputError("method", f"Unknown blood-volume method {method!r}.")


def plasma_volume_ml(total_blood_volume_ml: float, haematocrit: float) -> float:
    """TPV = TBV × (1 − Hct), haematocrit as a fraction."""
    return total_blood_volume_ml * (1 - haematocrit)


def removal_fraction(plasma_volumes: float) -> float:
    """One-compartment isovolaemic exchange: fraction removed = 1 − e^(−x), x plasma volumes."""
    return 1 - math.exp(-plasma_volumes)
