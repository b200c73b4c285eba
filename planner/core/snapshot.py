"""The patient's values an order is calculated from, each with the time it was measured.

Pure Python. Stored on the course as JSON (`as_json`), so a lab value entered later never
changes an order; read back with `from_json`, which also reads orders saved before IgG and
the marker were part of the snapshot.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# The quantities an order needs, and those it uses when present.
REQUIRED = ("weight_kg", "height_cm", "haematocrit")
OPTIONAL = ("fibrinogen_g_per_l", "igg_g_per_l")

# "152 U/mL" -> 152, "U/mL". A titre ("1:320"), a bound ("> 150") or a word is not projected.
_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([^\d\s:.,][^:]*)?\s*$")


@dataclass(frozen=True)
class Measured:
    value: Decimal
    taken_at: datetime


@dataclass(frozen=True)
class MarkerResult:
    """A disease marker as recorded (anti-Dsg3 "152 U/mL"), and whether it is an IgG antibody."""

    name: str
    result: str
    taken_at: datetime
    is_igg_antibody: bool = False

    def number_and_unit(self) -> tuple[float, str] | None:
        """The value to project, when the result is a plain number with a unit."""
        found = _LEADING_NUMBER.match(self.result)
        if found is None:
            return None
        return float(found.group(1)), (found.group(2) or "").strip()


@dataclass(frozen=True)
class InputSnapshot:
    weight_kg: Measured
    height_cm: Measured
    haematocrit: Measured
    fibrinogen_g_per_l: Measured | None = None
    igg_g_per_l: Measured | None = None
    marker: MarkerResult | None = None

    def measured(self) -> list[tuple[str, Measured]]:
        """(field name, value) for every quantity present, required ones first."""
        found = [(name, getattr(self, name)) for name in (*REQUIRED, *OPTIONAL)]
        return [(name, value) for name, value in found if value is not None]

    def as_json(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            name: {"value": str(value.value), "taken_at": value.taken_at.isoformat()} for name, value in self.measured()
        }
        if self.marker is not None:
            stored["marker"] = {
                "name": self.marker.name,
                "result": self.marker.result,
                "taken_at": self.marker.taken_at.isoformat(),
                "is_igg_antibody": self.marker.is_igg_antibody,
            }
        return stored

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "InputSnapshot":
        """Raises MissingInputs when a required value is absent (an order saved without it)."""
        missing = [name for name in REQUIRED if "value" not in (stored.get(name) or {})]
        if missing:
            raise MissingInputs(missing)
        values = {name: _measured(stored[name]) for name in (*REQUIRED, *OPTIONAL) if stored.get(name)}
        marker = stored.get("marker")
        if marker:
            values["marker"] = MarkerResult(
                name=marker["name"],
                result=marker["result"],
                taken_at=datetime.fromisoformat(marker["taken_at"]),
                is_igg_antibody=bool(marker.get("is_igg_antibody")),
            )
        return cls(**values)


class MissingInputs(ValueError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


def _measured(item: dict[str, str]) -> Measured:
    try:
        value = Decimal(item["value"])
    except InvalidOperation:
        raise ValueError(f"Not a number: {item['value']!r}") from None
    return Measured(value, datetime.fromisoformat(item["taken_at"]))
