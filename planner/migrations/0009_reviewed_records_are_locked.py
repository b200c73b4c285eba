"""A reviewed session record, its adverse events and issued products are locked by the database (db_guards)."""

from django.db import migrations

from planner.db_guards import install_review_guard, remove_review_guard


class Migration(migrations.Migration):
    dependencies = [("planner", "0008_session_records")]

    operations = [migrations.RunPython(install_review_guard, remove_review_guard)]
