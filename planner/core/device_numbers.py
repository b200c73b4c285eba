"""What the device will do: blood processed, inlet and anticoagulant volumes, duration, calcium, ECV.

Pure Python.
"""

from dataclasses import dataclass

from planner.core.limits import InputError


@dataclass(frozen=True)
class DeviceSettings:
    name: str = "Spectra Optia"
    ecv_typical_ml: float = 141
    ecv_max_ml: float = 185
    # Fraction of the plasma processed that is removed: Optia about 0.87.
    plasma_removal_efficiency: float = 0.87
    # Inlet:ACD-A ratio; None for a device anticoagulated with heparin (membrane).
    inlet_ac_ratio: float | None = 10
    inlet_flow_ml_per_min: float = 60


@dataclass(frozen=True)
class DeviceNumbers:
    whole_blood_processed_ml: float
    inlet_volume_ml: float
    anticoagulant_ml: float | None
    duration_min: float
    calcium_gluconate_ml: float
    extracorporeal_percent: float
    extracorporeal_max_percent: float
    # Citrate: the AC infusion rate per litre of blood volume at the inlet flow (mL/min/L TBV), and the
    # highest inlet flow that keeps it within the limit. None without citrate (heparin).
    ac_rate_ml_per_min_per_l: float | None = None
    max_inlet_flow_ml_per_min: float | None = None


def check_device(device: DeviceSettings) -> None:
    if not 0 < device.plasma_removal_efficiency <= 1:
        raise InputError("device", "A device's plasma removal efficiency is a fraction above 0 and at most 1.")
    if device.inlet_ac_ratio is not None and not 2 <= device.inlet_ac_ratio <= 30:
        raise InputError("inlet_ac_ratio", f"An inlet:AC ratio of {device.inlet_ac_ratio:g} is outside 2–30.")
    if not 5 <= device.inlet_flow_ml_per_min <= 300:
        raise InputError(
            "inlet_flow_ml_per_min", f"An inlet flow of {device.inlet_flow_ml_per_min:g} mL/min is outside 5–300."
        )
    if not 0 < device.ecv_typical_ml <= device.ecv_max_ml:
        raise InputError("device", "A device's typical extracorporeal volume must be positive and at most its maximum.")


def device_numbers(
    *,
    exchange_volume_ml: float,
    haematocrit: float,
    total_blood_volume_ml: float,
    returned_ml: float,
    device: DeviceSettings,
    calcium_ml_per_litre: float,
    ac_rate_limit_ml_per_min_per_l: float = 1.2,
) -> DeviceNumbers:
    """Device numbers for one session.

    - Whole blood processed ≈ exchange / ((1 − Hct) × plasma removal efficiency).
    - Inlet = WB × r / (r − 1) at inlet:AC ratio r (the inlet includes the anticoagulant); AC = inlet / r.
      Without citrate (heparin, membrane) the inlet is the whole blood.
    - Duration ≈ inlet / inlet flow.
    - Calcium gluconate 10 %: `calcium_ml_per_litre` per litre returned (10 mL/L, Weinstein 1996).
    - Extracorporeal volume as a percentage of TBV, typical and maximum.
    - AC infusion rate = inlet flow ÷ r ÷ TBV (L), in mL/min/L TBV; the highest inlet flow within the
      limit is limit × TBV (L) × r. A conservative bound: it assumes all the AC reaches the patient,
      where in TPE much of it leaves with the removed plasma (clinical-reference-modalities.md §4 [D]).
    """
    whole_blood = exchange_volume_ml / ((1 - haematocrit) * device.plasma_removal_efficiency)
    ratio = device.inlet_ac_ratio
    if ratio is None:
        inlet, anticoagulant = whole_blood, None
        ac_rate = max_inlet = None
    else:
        inlet = whole_blood * ratio / (ratio - 1)
        anticoagulant = inlet / ratio
        litres = total_blood_volume_ml / 1000
        ac_rate = device.inlet_flow_ml_per_min / ratio / litres
        max_inlet = ac_rate_limit_ml_per_min_per_l * litres * ratio
    return DeviceNumbers(
        whole_blood_processed_ml=whole_blood,
        inlet_volume_ml=inlet,
        anticoagulant_ml=anticoagulant,
        duration_min=inlet / device.inlet_flow_ml_per_min,
        calcium_gluconate_ml=returned_ml / 1000 * calcium_ml_per_litre,
        extracorporeal_percent=device.ecv_typical_ml / total_blood_volume_ml * 100,
        extracorporeal_max_percent=device.ecv_max_ml / total_blood_volume_ml * 100,
        ac_rate_ml_per_min_per_l=ac_rate,
        max_inlet_flow_ml_per_min=max_inlet,
    )
