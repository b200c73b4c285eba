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
from planner.models import (
    AdsorptionColumn,
    Device,
    Evidence,
    Fractionator,
    Indication,
    IndicationModality,
    Product,
    StopCriterion,
)

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


# clinical-reference-modalities.md §1: sieving coefficients with their direction and source. The default
# is EC-20W's in-vivo values (albumin 0.40: the safer side for the albumin replaced); the package
# insert's albumin value is kept as an alternative row.
DFPP_SOURCE = "dfpp-sim (ytyasufumi00/dfpp-sim, dfpp_app.py, commit acb9c94)"
STANDARD_FRACTIONATORS = [
    {
        "name": "Cascadeflo EC-20W",
        "sc_igg": Decimal("0.10"),
        "sc_albumin": Decimal("0.40"),
        "sc_igm": Decimal("0.03"),
        "sieving": Fractionator.Sieving.RETURNED,
        "source": f"{DFPP_SOURCE}: IgG 0.10 (catalogue), albumin 0.40 in vivo; IgM 0.03 measured (scholarmate ZyvsyC)",
        "evidence": Evidence.SECONDARY,
    },
    {
        "name": "Cascadeflo EC-20W (package insert albumin)",
        "sc_igg": Decimal("0.10"),
        "sc_albumin": Decimal("0.60"),
        "sc_igm": Decimal("0.03"),
        "sieving": Fractionator.Sieving.RETURNED,
        "source": f"{DFPP_SOURCE}: albumin 0.60 in vitro (bovine, package insert)",
        "evidence": Evidence.SECONDARY,
    },
    {
        "name": "Cascadeflo EC-30W",
        "sc_igg": Decimal("0.40"),
        "sc_albumin": Decimal("0.70"),
        "sieving": Fractionator.Sieving.RETURNED,
        "source": f"{DFPP_SOURCE}: app presets",
        "evidence": Evidence.SECONDARY,
    },
    {
        "name": "Cascadeflo EC-40W",
        "sc_igg": Decimal("0.70"),
        "sc_albumin": Decimal("0.85"),
        "sieving": Fractionator.Sieving.RETURNED,
        "source": f"{DFPP_SOURCE}: app presets",
        "evidence": Evidence.SECONDARY,
    },
    {
        "name": "Evacure EC-4A (selective exchange)",
        "sc_igg": Decimal("0.40"),
        "sc_albumin": Decimal("0.60"),
        "sieving": Fractionator.Sieving.DISCARDED,
        "source": "sepe-simulation (ytyasufumi00/sepe-simulation, app.py, commit 7a31060): catalogue values",
        "evidence": Evidence.SECONDARY,
    },
]
# §2: no column's IgG efficiency is published, so none is entered.
STANDARD_COLUMNS = [
    {
        "name": "Immusorba TR-350",
        "ligand": "tryptophan",
        "max_processed_ml": 2000,
        "source": "Optimal volume of processed plasma (discovery.researcher.life): saturates after 1.5–2 L; "
        "2 L per session",
        "evidence": Evidence.VERIFIED,
    },
    {
        "name": "Immusorba PH-350",
        "ligand": "phenylalanine",
        "max_processed_ml": None,
        "source": "Not verified: enter the column's capacity from its instructions for use",
        "evidence": Evidence.UNVERIFIED,
    },
    {
        "name": "Protein A column pair (regenerating)",
        "ligand": "protein A (IgG Fc)",
        "max_processed_ml": None,
        "source": "Immunoadsorption overview (grokipedia): regenerating pair, 2–3 PV a session",
        "evidence": Evidence.SECONDARY,
    },
]
# §2: ASFA 2023's other modalities, from a third-party transcription: each row to verify against the PDF.
ASFA_TRANSCRIPTION = "ASFA 2023 as transcribed in the project research notes (third-party transcription)"
STANDARD_MODALITIES = [
    ("Myasthenia gravis", "acute, short-term treatment", "dfpp", "I", "1B", ""),
    ("Myasthenia gravis", "acute, short-term treatment", "ia", "I", "1B", ""),
    ("Myasthenia gravis", "long-term treatment", "dfpp", "II", "2B", ""),
    ("Myasthenia gravis", "long-term treatment", "ia", "II", "2B", ""),
    ("Neuromyelitis optica spectrum disorders (NMOSD)", "acute attack", "ia", "II", "1C", ""),
    ("Pemphigus vulgaris", "severe", "dfpp", "III", "2C", ""),
    ("Pemphigus vulgaris", "severe", "ia", "III", "2C", "IA 2–4 TBV as transcribed"),
    ("Kidney transplantation, ABO incompatible", "desensitisation, living donor", "ia", "I", "1B", "IA 1.5–2.5 TPV"),
    ("Dilated cardiomyopathy, idiopathic", "", "ia", "II", "1B", ""),
    ("Guillain-Barre syndrome (AIDP)", "primary treatment", "ia", "I", "1B", "up to 3 TPV"),
    ("Cryoglobulinaemia", "severe/symptomatic", "dfpp", "II", "2A", ""),
    ("Cryoglobulinaemia", "severe/symptomatic", "ia", "II", "2B", ""),
]


# Stop criteria that the catalogue's course notes state as a number (the notes stay beside them as text).
ASFA_COURSE_NOTES = "ASFA 2023 course notes (asfa2023_tpe_indications.csv), transcribed as a measurable rule"
STANDARD_STOP_CRITERIA = [
    # disease, indication, measure, marker name, comparison, threshold, description
    (
        "Thrombotic thrombocytopenic purpura (TTP)",
        "",
        "platelets_10e9_per_l",
        "",
        "at_least",
        Decimal("150"),
        "Platelets above 150 ×10⁹/L (with LDH near normal) for 2–3 days",
    ),
    (
        "Pregnancy-associated thrombotic microangiopathy",
        "severe",
        "platelets_10e9_per_l",
        "",
        "at_least",
        Decimal("100"),
        "Platelets above 100 ×10⁹/L (with LDH normal)",
    ),
    ("Pemphigus vulgaris", "severe", "marker", "anti-Dsg3", "trend", None, "Anti-desmoglein 3 titre followed"),
    ("Pemphigus vulgaris", "severe", "marker", "anti-Dsg1", "trend", None, "Anti-desmoglein 1 titre followed"),
    (
        "Anti-glomerular basement membrane disease",
        "diffuse alveolar haemorrhage",
        "marker",
        "anti-GBM",
        "trend",
        None,
        "Anti-GBM antibody followed until undetectable",
    ),
    (
        "Anti-glomerular basement membrane disease",
        "dialysis-independent",
        "marker",
        "anti-GBM",
        "trend",
        None,
        "Anti-GBM antibody followed until undetectable",
    ),
]


@dataclass(frozen=True)
class CatalogueResult:
    indications: LoadResult
    products: list[str]
    devices: list[str]
    fractionators: list[str] = ()
    columns: list[str] = ()
    modalities: int = 0
    stop_criteria: int = 0


@transaction.atomic
def load_catalogue() -> CatalogueResult:
    """Indications, and a standard product for each kind and a device, where the unit has none."""
    indications = load_indications()
    products = []
    for values in STANDARD_PRODUCTS:
        if not Product.objects.filter(kind=values["kind"]).exists():
            Product.objects.create(**values, is_default=True, is_verified=False)
            products.append(values["name"])
    devices = _standard_rows(Device, STANDARD_DEVICES)
    fractionators = _standard_rows(Fractionator, STANDARD_FRACTIONATORS)
    columns = _standard_rows(AdsorptionColumn, STANDARD_COLUMNS)
    return CatalogueResult(
        indications, products, devices, fractionators, columns, _standard_modalities(), standard_stop_criteria()
    )


def _standard_rows(model: type, rows: list[dict]) -> list[str]:
    """The standard rows of a catalogue table the unit has none of yet, marked as not yet checked."""
    if model.objects.exists():
        return []
    for values in rows:
        model.objects.create(**values, is_verified=False)
    return [values["name"] for values in rows]


def _standard_modalities() -> int:
    """The transcribed DFPP and IA rows not yet in the catalogue. Rows are never deleted (an administrator
    takes one out of use), so loading again never brings back a row an administrator edited."""
    added = 0
    for disease, indication, modality, category, grade, notes in STANDARD_MODALITIES:
        row = Indication.objects.filter(disease=disease, indication=indication).first()
        if row is None or row.modalities.filter(modality=modality).exists():
            continue
        IndicationModality.objects.create(
            indication=row,
            modality=modality,
            category=category,
            grade=grade,
            notes=notes,
            source=ASFA_TRANSCRIPTION,
        )
        added += 1
    return added


# The descriptions in Chinese (术语 as planner/locale/GLOSSARY.md), shown when the page is in Chinese.
STOP_CRITERIA_ZH = {
    "Platelets above 150 ×10⁹/L (with LDH near normal) for 2–3 days": "血小板 > 150 ×10⁹/L（LDH 接近正常）持续 2–3 天",
    "Platelets above 100 ×10⁹/L (with LDH normal)": "血小板 > 100 ×10⁹/L（LDH 正常）",
    "Anti-desmoglein 3 titre followed": "随访抗桥粒芯糖蛋白 3 抗体滴度",
    "Anti-desmoglein 1 titre followed": "随访抗桥粒芯糖蛋白 1 抗体滴度",
    "Anti-GBM antibody followed until undetectable": "随访抗 GBM 抗体直至检测不到",
}


def standard_stop_criteria() -> int:
    """The transcribed stop criteria not yet in the catalogue; like modalities, taken out of use, never deleted
    by loading again (an administrator's edit stands)."""
    added = 0
    for disease, indication, measure, marker, comparison, threshold, description in STANDARD_STOP_CRITERIA:
        row = Indication.objects.filter(disease=disease, indication=indication).first()
        if row is None or row.stop_criteria.filter(measure=measure, marker_name=marker, comparison=comparison).exists():
            continue
        StopCriterion.objects.create(
            indication=row,
            measure=measure,
            marker_name=marker,
            comparison=comparison,
            threshold=threshold,
            description=description,
            description_zh=STOP_CRITERIA_ZH.get(description, ""),
            source=ASFA_COURSE_NOTES,
        )
        added += 1
    return added
