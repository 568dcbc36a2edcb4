from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiedao.core.demo import run_demo


class Command(BaseCommand):
    help = "Build the demo data set (deterministic and idempotent: a second run adds nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--logins", action="store_true", help="print the demo logins only")

    def handle(self, *args: Any, **options: Any) -> None:
        from jiedao.accounts.demo import print_logins

        if not options["logins"]:
            self.stdout.write("Building demo data …")
            run_demo(out=self.stdout.write, seed=options["seed"])
        print_logins(self.stdout.write)
