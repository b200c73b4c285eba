"""Replacement fluid: from a fluid plan and the exchange volume to orderable quantities.

Pure Python. The plan splits the replaced volume into saline (given first),
albumin and plasma (given last). Albumin is prescribed as a 5 % solution made
from concentrated vials diluted with 0.9 % saline — never sterile water, which
made a hypotonic solution that caused fatal haemolysis (CDC MMWR 1999).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from planner.core.limits import InputError
from planner.core.text import _

# Fractions that sum to one within this tolerance are accepted (0.667 + 0.333 typed by hand).
FRACTION_SUM_TOLERANCE = 0.005
# Two shares within this of each other are the same plan: what a form shows to 3 decimals.
SHARE_TOLERANCE = 0.0015


@dataclass(frozen=True)
class Shares:
    """How the replaced volume splits: saline (given first), albumin, plasma (given last). Each 0-1."""

    albumin: float = 1.0
    plasma: float = 0.0
    saline: float = 0.0

    @classmethod
    def from_fractions(cls, fractions: Mapping[str, object]) -> "Shares":
        """From `albumin_fraction`, `plasma_fraction` and `saline_fraction` (a form, a course, stored JSON)."""
        return cls(*(float(fractions[name]) for name in FRACTION_NAMES))  # type: ignore[arg-type]

    def as_fractions(self) -> dict[str, float]:
        """The shares as a form and stored JSON spell them, to the 3 decimals a form shows."""
        return {name: round(value, 3) for name, value in zip(FRACTION_NAMES, self.values(), strict=True)}

    def values(self) -> tuple[float, float, float]:
        return self.albumin, self.plasma, self.saline

    def differs_from(self, other: "Shares") -> bool:
        return any(abs(a - b) > SHARE_TOLERANCE for a, b in zip(self.values(), other.values(), strict=True))


FRACTION_NAMES = ("albumin_fraction", "plasma_fraction", "saline_fraction")
ALBUMIN_ONLY = Shares()


@dataclass(frozen=True)
class FluidPlan:
    shares: Shares = ALBUMIN_ONLY
    # Replaced volume / removed volume: 1.0 is isovolaemic.
    fluid_balance: float = 1.0


@dataclass(frozen=True)
class Products:
    """The products the blood bank stocks, as the catalogue describes them."""

    albumin_percent: float = 20
    albumin_vial_ml: float = 50
    plasma_unit_ml: float = 100
    saline_bag_ml: float = 500
    target_albumin_percent: float = 5

    @property
    def albumin_grams_per_vial(self) -> float:
        return self.albumin_percent * self.albumin_vial_ml / 100

    @property
    def diluent_ml_per_vial(self) -> float:
        """V_stock × (C_stock / C_target − 1): 50 mL of 20 % + 150 mL saline = 200 mL of 5 %."""
        return self.albumin_vial_ml * (self.albumin_percent / self.target_albumin_percent - 1)


@dataclass(frozen=True)
class Replacement:
    total_ml: float
    saline_ml: float
    albumin_ml: float
    albumin_g: float
    albumin_vials: int
    albumin_diluent_ml: float
    plasma_ml: float
    plasma_units: int
    saline_bags: int
    infusion_order: tuple[str, ...]


def check_plan(plan: FluidPlan, *, saline_max_fraction: float) -> None:
    for name, value in zip(FRACTION_NAMES, plan.shares.values(), strict=True):
        if not 0 <= value <= 1:
            raise InputError(name, f"A fraction is between 0 and 1, not {value:g}.")
    total = sum(plan.shares.values())
    # The tolerance itself is accepted whatever the floats make of it (0.995 and 1.005 alike).
    if abs(total - 1) > FRACTION_SUM_TOLERANCE + 1e-9:
        raise InputError(
            "albumin_fraction",
            _("Albumin, plasma and saline fractions must add up to 1; they add up to %(total)s.")
            % {"total": f"{total:.3g}"},
        )
    if plan.shares.saline > saline_max_fraction:
        raise InputError(
            "saline_fraction",
            _("Saline may be at most %(limit)s of the replacement (hypotension); %(asked)s was asked.")
            % {"limit": f"{saline_max_fraction:.0%}", "asked": f"{plan.shares.saline:.0%}"},
        )
    if not 0.5 <= plan.fluid_balance <= 1.5:
        raise InputError("fluid_balance", f"Fluid balance must be between 0.5 and 1.5, not {plan.fluid_balance:g}.")


def check_products(products: Products) -> None:
    if products.albumin_percent < products.target_albumin_percent:
        raise InputError(
            "albumin_product",
            f"Albumin stock of {products.albumin_percent:g} % cannot be diluted to "
            f"{products.target_albumin_percent:g} %.",
        )
    for name in ("albumin_vial_ml", "plasma_unit_ml", "saline_bag_ml", "target_albumin_percent"):
        if getattr(products, name) <= 0:
            raise InputError(name, f"{name} must be positive.")


def replacement(exchange_volume_ml: float, plan: FluidPlan, products: Products) -> Replacement:
    """Volumes per fluid, albumin grams and whole vials, diluent, plasma units, saline bags.

    Quantities to order are rounded up to whole vials, units and bags; the
    diluent is for the whole vials prepared.
    """
    total_ml = exchange_volume_ml * plan.fluid_balance
    saline_ml = total_ml * plan.shares.saline
    albumin_ml = total_ml * plan.shares.albumin
    plasma_ml = total_ml * plan.shares.plasma
    albumin_g = albumin_ml * products.target_albumin_percent / 100
    vials = math.ceil(albumin_g / products.albumin_grams_per_vial - 1e-9) if albumin_g > 0 else 0
    diluent_ml = vials * products.diluent_ml_per_vial
    plasma_units = math.ceil(plasma_ml / products.plasma_unit_ml - 1e-9) if plasma_ml > 0 else 0
    saline_needed = saline_ml + diluent_ml
    saline_bags = math.ceil(saline_needed / products.saline_bag_ml - 1e-9) if saline_needed > 0 else 0
    order = tuple(
        name for name, volume in (("saline", saline_ml), ("albumin", albumin_ml), ("plasma", plasma_ml)) if volume > 0
    )
    return Replacement(
        total_ml=total_ml,
        saline_ml=saline_ml,
        albumin_ml=albumin_ml,
        albumin_g=albumin_g,
        albumin_vials=vials,
        albumin_diluent_ml=diluent_ml,
        plasma_ml=plasma_ml,
        plasma_units=plasma_units,
        saline_bags=saline_bags,
        infusion_order=order,
    )
