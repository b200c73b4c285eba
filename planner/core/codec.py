"""An exchange plan as JSON and back, without computing anything: how a signed order is stored.

`plan_to_json()` writes every input and every result of an `ExchangePlan` at full precision
(a float's JSON form reads back as the same float); `plan_from_json()` rebuilds the same typed
plan, so every page and printout shows a signed order exactly as it was computed. Messages
(warnings, reasons) are stored with their English template and values and come back in the
language of whoever reads them.

`FORMAT` numbers the layout. A change to the plan's types that an older stored plan cannot be
read into raises FORMAT and adds an upgrade step to `_UPGRADES`, so plans signed years ago
remain readable by a newer engine.
"""

from collections.abc import Callable
from typing import Any

import cattrs

from planner.core.exchange import ExchangePlan
from planner.core.text import Message

FORMAT = 1

# Upgrades from an older format to the next: FORMAT n-1 -> n, keyed by n-1.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_unstructure_hook(Message, Message.as_json)
_converter.register_structure_hook(Message, lambda stored, _type: Message.from_json(stored))


class StoredPlanError(ValueError):
    """A stored plan that this engine cannot read back."""


def plan_to_json(plan: ExchangePlan) -> dict[str, Any]:
    return {"format": FORMAT, "plan": _converter.unstructure(plan)}


def plan_from_json(stored: dict[str, Any]) -> ExchangePlan:
    version = stored.get("format")
    if not isinstance(version, int) or not 1 <= version <= FORMAT:
        raise StoredPlanError(f"Stored plan format {version!r} is not one this version reads (1 to {FORMAT}).")
    while version < FORMAT:
        stored = _UPGRADES[version](stored)
        version += 1
    try:
        return _converter.structure(stored["plan"], ExchangePlan)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as error:
        raise StoredPlanError(f"Stored plan cannot be read: {error}") from error
