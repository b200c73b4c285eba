"""Compile the .po translations to .mo with polib, so installing needs no gettext tools.

`make run`, `make test` and the Dockerfile run it; Django's compilemessages (which needs GNU gettext's
msgfmt) gives the same files where gettext is installed.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile every django.po under LOCALE_PATHS to django.mo (no gettext needed)."

    def handle(self, *args: object, **options: object) -> None:
        compiled = 0
        for folder in settings.LOCALE_PATHS:
            for source in sorted(Path(folder).glob("*/LC_MESSAGES/django.po")):
                catalogue = polib.pofile(str(source))
                problems = [entry.msgid for entry in catalogue if entry.fuzzy or not entry.translated()]
                if problems:
                    raise CommandError(f"{source}: {len(problems)} entries untranslated or fuzzy, e.g. {problems[0]!r}")
                catalogue.save_as_mofile(str(source.with_suffix(".mo")))
                compiled += 1
                self.stdout.write(f"{source.parent.parent.name}: {len(catalogue)} messages")
        if not compiled:
            raise CommandError("No translations found under LOCALE_PATHS.")
