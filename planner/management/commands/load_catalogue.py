from django.core.management.base import BaseCommand, CommandError

from planner.catalogue import CatalogueError
from planner.standard_catalogue import load_catalogue


class Command(BaseCommand):
    help = (
        "Load the ASFA 2023 indications and, for each kind the unit has none of, a standard product and device "
        "(marked for the unit to check). Idempotent: never overwrites what an administrator entered."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = load_catalogue()
        except CatalogueError as error:
            raise CommandError(str(error)) from None
        loaded = result.indications
        self.stdout.write(
            f"indications: {loaded.created} created, {loaded.updated} updated, {loaded.unchanged} unchanged"
        )
        for kind, names in (
            ("products", result.products),
            ("devices", result.devices),
            ("fractionators", result.fractionators),
            ("adsorption columns", result.columns),
        ):
            if names:
                self.stdout.write(f"standard {kind} added (check them under Administration): {', '.join(names)}")
            else:
                self.stdout.write(f"{kind}: the unit's own, left as they are")
        self.stdout.write(f"modalities: {result.modalities} transcribed rows added")
        self.stdout.write(f"stop criteria: {result.stop_criteria} transcribed rows added")
