"""Priming a child's circuit: the red cells and 5 % albumin that keep the haematocrit at its target.

Mass balance (clinical-reference-modalities.md §4, derived): the prime is returned to the patient, so

    Hct_after = (Hct × TBV + Hct_prime × ECV) / (TBV + ECV)
    Hct_prime = (Hct_target × (TBV + ECV) − Hct × TBV) / ECV
    red cells = Hct_prime × ECV / Hct_RBC;  5 % albumin = ECV − red cells

A saline (or albumin) prime gives Hct_prime = 0. Example, 12 kg child, TBV 960 mL, Hct 0.30, Optia
141 mL: a saline prime leaves 0.262; to keep 0.30, 70.5 mL of red cells (Hct 0.60) and 70.5 mL of
albumin; to keep 0.28, 33.8 mL of red cells. The red cells' haematocrit is a local value (a setting).
"""

from dataclasses import dataclass

from planner.core.limits import InputError


@dataclass(frozen=True)
class Prime:
    circuit_ml: float
    total_blood_volume_ml: float
    haematocrit: float
    target_haematocrit: float
    rbc_haematocrit: float

    def __post_init__(self) -> None:
        if not 0 < self.rbc_haematocrit <= 1:
            raise InputError("rbc_haematocrit", "The red cells' haematocrit is a fraction above 0, at most 1.")
        if self.circuit_ml <= 0 or self.total_blood_volume_ml <= 0:
            raise InputError("device", "A prime needs a circuit volume and a blood volume.")

    @property
    def saline_haematocrit(self) -> float:
        """The haematocrit after a prime without red cells is returned."""
        tbv, ecv = self.total_blood_volume_ml, self.circuit_ml
        return self.haematocrit * tbv / (tbv + ecv)

    @property
    def prime_haematocrit(self) -> float:
        """The prime's haematocrit that keeps the target; never below 0, never above the red cells' own."""
        tbv, ecv = self.total_blood_volume_ml, self.circuit_ml
        needed = (self.target_haematocrit * (tbv + ecv) - self.haematocrit * tbv) / ecv
        return min(max(needed, 0.0), self.rbc_haematocrit)

    @property
    def rbc_ml(self) -> float:
        return self.prime_haematocrit * self.circuit_ml / self.rbc_haematocrit

    @property
    def albumin_ml(self) -> float:
        return self.circuit_ml - self.rbc_ml

    @property
    def haematocrit_after(self) -> float:
        tbv, ecv = self.total_blood_volume_ml, self.circuit_ml
        return (self.haematocrit * tbv + self.prime_haematocrit * ecv) / (tbv + ecv)
