from django.core.management.base import BaseCommand

from planner.roles import setup_roles


class Command(BaseCommand):
    help = "Create the staff groups (physician, nurse, bloodbank, reviewer, admin) with their permissions."

    def handle(self, *args: object, **options: object) -> None:
        for role, count in setup_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
