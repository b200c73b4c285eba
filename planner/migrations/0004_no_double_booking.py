"""No two active procedures on one device may overlap in time, enforced by the database itself.

See planner/db_guards.py: an exclusion constraint on PostgreSQL (two concurrent
transactions cannot both book a slot), triggers on SQLite. Django's
ExclusionConstraint cannot be declared on the model: migrate would fail on SQLite.
"""

from django.db import migrations

from planner.db_guards import install_booking_guard, remove_booking_guard


class Migration(migrations.Migration):
    dependencies = [("planner", "0003_courses_and_procedures")]

    operations = [migrations.RunPython(install_booking_guard, remove_booking_guard)]
