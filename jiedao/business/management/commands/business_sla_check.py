from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.business.services import request_sla_escalate


class Command(BaseCommand):
    help = (
        "Escalate open enterprise requests past a due step to the responsible leaders, inline "
        "(the same job Celery beat runs hourly). Safe to run twice: each request is escalated "
        "and notified once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="check as of the start of this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date in YYYY-MM-DD form") from exc
        sent = request_sla_escalate(today=today)
        self.stdout.write(f"{sent} notification(s) sent")
