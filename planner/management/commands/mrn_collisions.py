"""`python manage.py mrn_collisions`: patients whose MRNs are one MRN written differently."""

from django.core.management.base import BaseCommand

from planner.core.identity import normalise_mrn
from planner.models import Patient


class Command(BaseCommand):
    help = (
        "List patients whose medical record numbers become the same once normalised (full-width digits, "
        "invisible characters, other dashes, lower case), so an administrator can correct or merge them. "
        "Exits 1 when there are any."
    )

    def handle(self, *args: object, **options: object) -> None:
        groups: dict[str, list[Patient]] = {}
        # Raw values, as the database holds them: the field itself would already normalise them.
        for patient in Patient.objects.raw("SELECT id, mrn FROM planner_patient"):
            groups.setdefault(normalise_mrn(patient.mrn), []).append(patient)
        clashes = {mrn: held for mrn, held in groups.items() if len(held) > 1}
        for mrn, held in sorted(clashes.items()):
            self.stdout.write(f"{mrn}: " + "; ".join(f"patient {p.pk} as {p.mrn!r}" for p in held))
        if clashes:
            self.stderr.write(f"{len(clashes)} MRN(s) held by more than one patient.")
            raise SystemExit(1)
        self.stdout.write("No two patients share an MRN once normalised.")
