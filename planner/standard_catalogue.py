"""The standard catalogue a fresh installation starts from, so it calculates at once.

One idempotent step (`python manage.py load_catalogue`, run by `make run` and on every start of
the Docker image): the ASFA 2023 indications, and a standard product and device for each kind the
unit has none of yet. Standard rows are marked *not checked by the unit* until an administrator
compares them with the unit's own stock and device and ticks them (Administration → Products and
Devices); until then every order computed with them says so. Nothing an administrator entered or
edited is ever overwritten: a kind that has any row is left alone.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from planner.catalogue import LoadResult, load_indications
from planner.models import Device, Product

# Published constants (clinical-reference.md §3, §4): a unit's own stock and device may differ.
STANDARD_PRODUCTS = [
    {
        "name": "Human albumin 20 % 10 g/50 mL",
        "kind": Product.Kind.ALBUMIN,
        "concentration_percent": Decimal("20"),
        "package_volume_ml": 50,
    },
    {
        # In Chinese practice 1 U is the plasma from 200 mL of whole blood, about 100 mL.
        "name": "Fresh frozen plasma 100 mL unit",
        "kind": Product.Kind.PLASMA,
        "package_volume_ml": 100,
    },
    {
        "name": "Sodium chloride 0.9 % 500 mL bag",
        "kind": Product.Kind.SALINE,
        "concentration_percent": Decimal("0.9"),
        "package_volume_ml": 500,
    },
]
STANDARD_DEVICES = [
    {
        # Spectra Optia exchange set: ECV 141 mL typical, 185 mL maximum; plasma removal efficiency
        # about 0.87 (1.15 blood volumes processed per plasma volume removed); inlet:AC 10:1.
        "name": "Spectra Optia 1",
        "kind": Device.Kind.CENTRIFUGAL,
        "model": "Spectra Optia",
        "ecv_typical_ml": 141,
        "ecv_max_ml": 185,
        "plasma_removal_efficiency": Decimal("0.87"),
        "default_inlet_ac_ratio": Decimal("10"),
    },
]


@dataclass(frozen=True)
class CatalogueResult:
    indications: LoadResult
    products: list[str]
    devices: list[str]


@transaction.atomic
def load_catalogue() -> CatalogueResult:
    """Indications, and a standard product for each kind and a device, where the unit has none."""
    indications = load_indications()
    products = []
    for values in STANDARD_PRODUCTS:
        if not Product.objects.filter(kind=values["kind"]).exists():
            Product.objects.create(**values, is_default=True, is_verified=False)
            products.append(values["name"])
    devices = []
    if not Device.objects.exists():
        for values in STANDARD_DEVICES:
            Device.objects.create(**values, is_verified=False)
            devices.append(values["name"])
    return CatalogueResult(indications, products, devices)
