from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.evaluations.services import rectification_sla_check


class Command(BaseCommand):
    help = (
        "Escalate bad reviews not contacted within 1 working day or not fixed by their deadline, "
        "inline (the same job Celery beat runs hourly). Safe to run twice: each is escalated once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="check as of this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date in YYYY-MM-DD form") from exc
        sent = rectification_sla_check(today=today)
        self.stdout.write(f"{sent} notification(s) sent")
