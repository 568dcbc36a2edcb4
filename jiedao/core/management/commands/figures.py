from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.core import figures
from jiedao.core.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Figures' roll-ups: `rebuild` recomputes them from the records; `verify` recounts and "
        "lists every row that differs (exit status 1 if any does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "verify"])
        parser.add_argument("--org", help="only this org unit's subtree (its code)")

    def handle(self, *args: Any, **options: Any) -> None:
        org = None
        if options["org"]:
            org = OrgUnit.objects.filter(code=options["org"]).first()
            if org is None:
                raise CommandError(f"no org unit with code {options['org']!r}")
        if options["action"] == "rebuild":
            rows = figures.rebuild(org=org)
            self.stdout.write(f"rebuilt {rows} roll-up rows from the records")
            return
        drift = figures.verify(org=org)
        for d in drift[:50]:
            self.stdout.write(f"  drift {d.key}: stored {d.stored}, counted {d.counted}")
        if drift:
            raise CommandError(f"{len(drift)} roll-up rows differ from a recount")
        self.stdout.write("verified: every roll-up row equals a recount from the records")
