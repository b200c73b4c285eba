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
from dataclasses import is_dataclass
from enum import Enum
from functools import cache
from typing import Any, get_args, get_type_hints

import cattrs

from planner.core.exchange import ExchangePlan
from planner.core.text import Message

FORMAT = 2


def _tpe_only(stored: dict[str, Any]) -> dict[str, Any]:
    """Format 1 -> 2: format 2 adds the modality (DFPP, IA). Every plan signed before was a TPE plan."""
    if not isinstance(stored.get("plan"), dict):
        return {**stored, "format": 2}  # refused below, as holding no plan
    plan = dict(stored["plan"])
    if isinstance(plan.get("request"), dict):
        plan["request"] = {"modality": "tpe", "dfpp": None, "ia": None} | plan["request"]
    plan.setdefault("dfpp", None)
    plan.setdefault("ia", None)
    return {**stored, "format": 2, "plan": plan}


# Upgrades from an older format to the next: FORMAT n-1 -> n, keyed by n-1.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _tpe_only}


def _exactly(kind: type) -> Callable[[object, type], object]:
    """Read a stored value only as the type it was written as: cattrs would make "no" a True and 9.7 vials 9."""

    def structure(value: object, _type: type) -> object:
        # A whole number is a float written without its ".0" (a device's 141 mL); nothing else converts.
        allowed = (int, float) if kind is float else (kind,)
        if type(value) not in allowed:
            raise TypeError(f"expected {kind.__name__}, found {value!r}")
        return kind(value)

    return structure


def _enum(value: object, kind: type[Enum]) -> Enum:
    if type(value) is not str:
        raise TypeError(f"expected one of {kind.__name__}, found {value!r}")
    return kind(value)


def _enums(cls: type, seen: set[type] | None = None) -> set[type[Enum]]:
    """Every Enum the plan's dataclasses hold, however deep."""
    seen = seen if seen is not None else set()
    found: set[type[Enum]] = set()
    for hint in get_type_hints(cls).values():
        for kind in (hint, *_arguments(hint)):
            if isinstance(kind, type) and issubclass(kind, Enum):
                found.add(kind)
            elif is_dataclass(kind) and kind not in seen:
                seen.add(kind)
                found |= _enums(kind, seen)
    return found


def _arguments(hint: object) -> list[object]:
    found = []
    for argument in get_args(hint):
        found += [argument, *_arguments(argument)]
    return found


@cache
def _converter() -> cattrs.Converter:
    """Built once, at first use: what is stored is read back only as the type it was written as."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(Message, Message.as_json)
    converter.register_structure_hook(Message, lambda stored, _type: Message.from_json(stored))
    for kind in (bool, int, float, str):
        converter.register_structure_hook(kind, _exactly(kind))
    # An enum of str (Sex, Method) is more specific than str, so its own hook wins over str's.
    for kind in _enums(ExchangePlan):
        converter.register_structure_hook(kind, _enum)
    return converter


class StoredPlanError(ValueError):
    """A stored plan that this engine cannot read back."""


def plan_to_json(plan: ExchangePlan) -> dict[str, Any]:
    return {"format": FORMAT, "plan": _converter().unstructure(plan)}


def plan_from_json(stored: dict[str, Any]) -> ExchangePlan:
    version = stored.get("format")
    if type(version) is not int or not 1 <= version <= FORMAT:
        raise StoredPlanError(f"Stored plan format {version!r} is not one this version reads (1 to {FORMAT}).")
    while version < FORMAT:
        stored = _UPGRADES[version](stored)
        version += 1
    if not isinstance(stored.get("plan"), dict):
        raise StoredPlanError("Stored plan cannot be read: it holds no plan.")
    try:
        return _converter().structure(stored["plan"], ExchangePlan)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as error:
        raise StoredPlanError(f"Stored plan cannot be read: {error}") from error
