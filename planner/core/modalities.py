"""Double filtration plasmapheresis (DFPP) and immunoadsorption (IA): the processed plasma and what it does.

Pure Python (clinical-reference-modalities.md §1–§2; one-compartment model, from dfpp-sim [S]):

DFPP. Blood passes a plasma separator; the plasma then passes a fractionator, which returns what its
membrane lets through and drains what it holds back at the discard flow. A sieving coefficient (SC) is
stored with its direction: for a DFPP fractionator it is the fraction *returned*, so the fraction removed
per pass is 1 − SC; for a single-filter selective device (Evacure EC-4A) it is the fraction passing *into
the discard*, so that fraction is removed.

    processed plasma V = −ln(1 − target removal) ÷ removed(IgG) × TPV
    albumin lost (g)   = V (dL) × patient albumin (g/dL) × removed(albumin)
    discard = replacement = V × discard ratio (a selective-exchange filter: all of V);
    its albumin concentration = albumin lost ÷ discard
    discard flow = plasma flow × discard ratio; duration = V ÷ plasma flow

Example A (TPV 2894.3 mL), albumin 3.5 g/dL, EC-20W (IgG 0.10, albumin 0.40 returned), 60 % IgG removal:
V = 0.9163 / 0.90 × 2894.3 = 2946.7 mL (1.02 PV); albumin lost 29.467 × 3.5 × 0.60 = 61.9 g (7 vials of
10 g); discard 589 mL at 20 %, a 10.5 % solution (over the 6 % dfpp-sim warns at).

Fibrinogen falls steeply with DFPP and no fractionator's fibrinogen coefficient is verified, so nothing here
projects it: each session needs a measured fibrinogen before it starts.

IA. The column returns the plasma less what it adsorbs; no replacement fluid beyond prime and rinse. The
processed volume is prescribed (plasma volumes or mL) and capped at what the column takes (TR-350: 2 L).
An IgG fall, e^(−E·V/TPV), is expected only when an efficiency E is entered for the column: none is
published. Example A, 2.5 PV = 7236 mL, on a TR-350: capped at 2000 mL.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from planner.core.limits import InputError
from planner.core.text import _

TARGET_REMOVAL_LIMITS = (0.05, 0.95)
ALBUMIN_G_PER_DL_LIMITS = (1.0, 6.0)
DISCARD_RATIO_LIMITS = (0.05, 0.5)
PLASMA_FLOW_LIMITS_ML_PER_MIN = (5.0, 100.0)


class Modality(StrEnum):
    TPE = "tpe"
    DFPP = "dfpp"
    IA = "ia"


class Sieving(StrEnum):
    """What a stored sieving coefficient measures."""

    # The fraction the membrane lets back to the patient (DFPP fractionators): removed = 1 − SC.
    RETURNED = "returned"
    # The fraction passing into the discard (single-filter selective exchange, EC-4A): removed = SC.
    DISCARDED = "discarded"


@dataclass(frozen=True)
class Fractionator:
    name: str
    sc_igg: float
    sc_albumin: float
    sieving: Sieving = Sieving.RETURNED

    def removed(self, sc: float) -> float:
        """The fraction of a solute removed per pass, whichever way its coefficient is stored."""
        return 1 - sc if self.sieving is Sieving.RETURNED else sc


@dataclass(frozen=True)
class DfppSettings:
    fractionator: Fractionator
    # The fraction of intravascular IgG to remove in one session (0.60 for 60 %).
    target_removal: float
    # The patient's serum albumin, g/dL.
    albumin_g_per_dl: float
    discard_ratio: float = 0.20
    plasma_flow_ml_per_min: float = 30

    @property
    def discarded_share(self) -> float:
        """The share of the processed plasma discarded: the discard ratio, or all of it for a
        selective-exchange filter, which discards all it filters."""
        return self.discard_ratio if self.fractionator.sieving is Sieving.RETURNED else 1.0


@dataclass(frozen=True)
class DfppResult:
    processed_plasma_ml: float
    albumin_lost_g: float
    discard_ml: float
    discard_albumin_percent: float
    discard_flow_ml_per_min: float
    duration_min: float


@dataclass(frozen=True)
class Column:
    name: str
    # The most plasma the column takes in one session; None: no cap.
    max_processed_ml: float | None = None
    # IgG removal efficiency E in e^(−E·V/TPV); None: not known (none is published).
    igg_efficiency: float | None = None


@dataclass(frozen=True)
class IaSettings:
    column: Column
    plasma_flow_ml_per_min: float = 30


@dataclass(frozen=True)
class IaResult:
    prescribed_ml: float
    processed_plasma_ml: float
    # The intravascular IgG removed, when the column has an efficiency; None otherwise.
    removal_fraction: float | None
    duration_min: float

    @property
    def is_capped(self) -> bool:
        return self.processed_plasma_ml < self.prescribed_ml


def _within(name: str, value: float, limits: tuple[float, float], words: str) -> None:
    low, high = limits
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(
            name, _("%(what)s is outside %(low)s–%(high)s.") % {"what": words, "low": f"{low:g}", "high": f"{high:g}"}
        )


def check_dfpp(settings: DfppSettings) -> None:
    _within("target_removal", settings.target_removal, TARGET_REMOVAL_LIMITS, _("The target IgG removal"))
    _within("albumin_g_per_dl", settings.albumin_g_per_dl, ALBUMIN_G_PER_DL_LIMITS, _("Serum albumin (g/dL)"))
    _within("discard_ratio", settings.discard_ratio, DISCARD_RATIO_LIMITS, _("The discard ratio"))
    _within(
        "plasma_flow_ml_per_min",
        settings.plasma_flow_ml_per_min,
        PLASMA_FLOW_LIMITS_ML_PER_MIN,
        _("The plasma flow (mL/min)"),
    )
    fractionator = settings.fractionator
    for sc in (fractionator.sc_igg, fractionator.sc_albumin):
        if not 0 <= sc <= 1:
            raise InputError("fractionator", _("A sieving coefficient is between 0 and 1."))
    if fractionator.removed(fractionator.sc_igg) <= 0:
        raise InputError("fractionator", _("This fractionator removes no IgG: no volume reaches a target."))


def dfpp(settings: DfppSettings, plasma_volume_ml: float) -> DfppResult:
    """The plasma to process for the target IgG removal, the albumin it takes, and the discard."""
    check_dfpp(settings)
    fractionator = settings.fractionator
    processed = -math.log(1 - settings.target_removal) / fractionator.removed(fractionator.sc_igg) * plasma_volume_ml
    lost = processed / 100 * settings.albumin_g_per_dl * fractionator.removed(fractionator.sc_albumin)
    ratio = settings.discarded_share
    discard = processed * ratio
    return DfppResult(
        processed_plasma_ml=processed,
        albumin_lost_g=lost,
        discard_ml=discard,
        discard_albumin_percent=lost / discard * 100,
        discard_flow_ml_per_min=settings.plasma_flow_ml_per_min * ratio,
        duration_min=processed / settings.plasma_flow_ml_per_min,
    )


def immunoadsorption(settings: IaSettings, prescribed_ml: float, plasma_volume_ml: float) -> IaResult:
    """The plasma the column processes (capped at what it takes) and, with an efficiency, the IgG removed."""
    _within(
        "plasma_flow_ml_per_min",
        settings.plasma_flow_ml_per_min,
        PLASMA_FLOW_LIMITS_ML_PER_MIN,
        _("The plasma flow (mL/min)"),
    )
    column = settings.column
    if column.igg_efficiency is not None and not 0 < column.igg_efficiency <= 1:
        raise InputError("column", _("A column's efficiency is above 0 and at most 1."))
    processed = prescribed_ml if column.max_processed_ml is None else min(prescribed_ml, column.max_processed_ml)
    removal = None
    if column.igg_efficiency is not None:
        removal = 1 - math.exp(-column.igg_efficiency * processed / plasma_volume_ml)
    return IaResult(
        prescribed_ml=prescribed_ml,
        processed_plasma_ml=processed,
        removal_fraction=removal,
        duration_min=processed / settings.plasma_flow_ml_per_min,
    )
