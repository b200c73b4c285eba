from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from planner.catalogue import INDICATIONS_CSV, CatalogueError, load_indications


class Command(BaseCommand):
    help = "Load the ASFA 2023 indication catalogue. Existing rows are kept unless --update is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=INDICATIONS_CSV, help="CSV file (default: the shipped one)")
        parser.add_argument("--update", action="store_true", help="overwrite indications that already exist")

    def handle(self, *args: object, file: Path, update: bool, **options: object) -> None:
        try:
            result = load_indications(file, update=update)
        except (CatalogueError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"indications: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        )
