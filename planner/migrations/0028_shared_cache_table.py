"""The table of the shared cache (settings.CACHES, the database backend's default).

Created here rather than by a separate `createcachetable` step, so that every way the application
is installed (make run, the container, the test databases, the bench) has it once migrated.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "planner_cache"  # settings.CACHE_TABLE


def create(apps: object, schema_editor: object) -> None:
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop(apps: object, schema_editor: object) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("planner", "0027_patient_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
