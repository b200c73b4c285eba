"""Fibrinogen replacement when fibrinogen is low: plasma, cryoprecipitate or fibrinogen concentrate.

Pure Python; every constant a setting (clinical-reference-modalities.md §5):
- Plasma: 10–15 mL/kg (cliot R package citing ASA 1996) [S], in whole units.
- Cryoprecipitate: units = ⌈(target − measured) mg/dL × plasma volume dL ÷ fibrinogen per unit (mg)⌉;
  250 mg per unit is the cliot default [S]. What a local unit holds (a Chinese unit from 200 mL of whole
  blood) is a local value: the reference marks it unverified, so it is a setting, not a constant here.
- Fibrinogen concentrate, the RiaSTAP label [V]: mg/kg = (target − measured) mg/dL ÷ 1.7; 70 mg/kg when
  the level is not known. Example: 60 kg, 80 -> 150 mg/dL: 70 / 1.7 = 41.2 mg/kg = 2471 mg.

Results are stored as computed, so a signed order keeps its doses whatever this code later becomes.
"""

import math
from dataclasses import dataclass

from planner.core.limits import InputError

PLASMA_ML_PER_KG = (10.0, 15.0)
LABEL_MG_PER_DL_PER_MG_PER_KG = 1.7


@dataclass(frozen=True)
class FibrinogenDoses:
    measured_g_per_l: float
    target_g_per_l: float
    weight_kg: float
    plasma_volume_ml: float
    plasma_ml_low: float
    plasma_ml_high: float
    plasma_units_low: int
    plasma_units_high: int
    plasma_unit_ml: float
    cryo_mg_per_unit: float
    cryo_units: int
    concentrate_mg_per_kg: float
    concentrate_mg: float


def fibrinogen_doses(
    *,
    measured_g_per_l: float,
    target_g_per_l: float,
    weight_kg: float,
    plasma_volume_ml: float,
    plasma_unit_ml: float,
    cryo_mg_per_unit: float,
) -> FibrinogenDoses:
    """The three ways to raise fibrinogen from `measured` to `target` (g/L), each with its dose."""
    if not target_g_per_l > measured_g_per_l:
        raise InputError("fibrinogen_target_g_per_l", "The fibrinogen target is above the measured level.")
    if cryo_mg_per_unit <= 0 or plasma_unit_ml <= 0:
        raise InputError("cryo_mg_per_unit", "A unit's fibrinogen and a plasma unit's volume are above 0.")
    # g/L × 100 = mg/dL; mL ÷ 100 = dL.
    gap_mg_per_dl = (target_g_per_l - measured_g_per_l) * 100
    plasma_low, plasma_high = (per_kg * weight_kg for per_kg in PLASMA_ML_PER_KG)
    per_kg = gap_mg_per_dl / LABEL_MG_PER_DL_PER_MG_PER_KG
    return FibrinogenDoses(
        measured_g_per_l=measured_g_per_l,
        target_g_per_l=target_g_per_l,
        weight_kg=weight_kg,
        plasma_volume_ml=plasma_volume_ml,
        plasma_ml_low=plasma_low,
        plasma_ml_high=plasma_high,
        plasma_units_low=math.ceil(plasma_low / plasma_unit_ml - 1e-9),
        plasma_units_high=math.ceil(plasma_high / plasma_unit_ml - 1e-9),
        plasma_unit_ml=plasma_unit_ml,
        cryo_mg_per_unit=cryo_mg_per_unit,
        cryo_units=math.ceil(gap_mg_per_dl * plasma_volume_ml / 100 / cryo_mg_per_unit - 1e-9),
        concentrate_mg_per_kg=per_kg,
        concentrate_mg=per_kg * weight_kg,
    )
