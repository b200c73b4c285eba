"""Load the ASFA 2023 indication catalogue shipped with the app."""

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from planner.models import Indication

INDICATIONS_CSV = Path(__file__).parent / "data" / "asfa2023_tpe_indications.csv"

COLUMNS = (
    "key",
    "disease",
    "indication",
    "asfa_category",
    "asfa_grade",
    "default_replacement",
    "replacement_policy",
    "policy_source",
    "tpv_min",
    "tpv_max",
    "default_frequency",
    "default_sessions",
    "course_notes",
    "asfa_2023_page",
    "disease_zh",
    "indication_zh",
    "course_notes_zh",
)
TRANSLATED = ("disease_zh", "indication_zh", "course_notes_zh")


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _row_to_fields(row: dict[str, str], line: int) -> dict[str, object]:
    try:
        return {
            "disease": row["disease"].strip(),
            "indication": row["indication"].strip(),
            "category": row["asfa_category"].strip(),
            "grade": row["asfa_grade"].strip(),
            "default_replacement": row["default_replacement"].strip(),
            "replacement_policy": row["replacement_policy"].strip(),
            "policy_source": row["policy_source"].strip(),
            "tpv_min": Decimal(row["tpv_min"]),
            "tpv_max": Decimal(row["tpv_max"]),
            "default_frequency": row["default_frequency"].strip(),
            "default_sessions": int(row["default_sessions"]),
            "course_notes": row["course_notes"].strip(),
            "guideline_page": int(row["asfa_2023_page"]) if row["asfa_2023_page"].strip() else None,
            **{name: row[name].strip() for name in TRANSLATED},
        }
    except (InvalidOperation, ValueError) as error:
        raise CatalogueError(f"line {line}: {error}") from None


@transaction.atomic
def load_indications(path: Path = INDICATIONS_CSV, *, update: bool = False) -> LoadResult:
    """Create the catalogue's indications; with `update`, overwrite the rows it created before.

    Rows are matched by the CSV's `key`, kept on each row it created (`catalogue_key`), never by
    name: a row an administrator renamed, edited or deactivated is the same row and is left alone
    without `update`, so running it again (every `make run` and every start of the Docker image
    does) never undoes local changes. All or nothing: one bad row loads none.
    """
    created = updated = unchanged = 0
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise CatalogueError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            fields = _row_to_fields(row, line)
            key = row["key"].strip()
            existing = Indication.objects.filter(catalogue_key=key).first()
            if existing is not None and not update:
                unchanged += 1
                continue
            indication = existing or Indication(catalogue_key=key)
            same_name = Indication.objects.filter(disease=fields["disease"], indication=fields["indication"])
            if same_name.exclude(pk=indication.pk).exists():
                raise CatalogueError(
                    f"line {line}: {fields['disease']} — {fields['indication']} exists already without this key "
                    "(entered by hand): rename that row, then load again"
                )
            for name, value in fields.items():
                setattr(indication, name, value)
            try:
                indication.full_clean(validate_unique=False)
            except ValidationError as error:
                raise CatalogueError(f"line {line}: {error.message_dict}") from None
            indication.save()
            if existing is None:
                created += 1
            else:
                updated += 1
    return LoadResult(created, updated, unchanged)
