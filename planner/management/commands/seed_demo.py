from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from planner.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from planner.standard_catalogue import load_catalogue


class Command(BaseCommand):
    help = "Load the indication catalogue and fictional demo users, devices, products and patients (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args: object, force: bool, **options: object) -> None:
        if not (settings.DEBUG or force):
            raise CommandError(
                "seed_demo creates users with a published password: it runs only with DEBUG on, or with --force."
            )
        indications = load_catalogue().indications
        created = seed_demo()
        self.stdout.write(f"indications: {indications.created} created, {indications.unchanged} already there")
        self.stdout.write(", ".join(f"{name}: {count} created" for name, count in created.items()))
        usernames = ", ".join(username for username, *_ in DEMO_USERS)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}): {usernames}")
