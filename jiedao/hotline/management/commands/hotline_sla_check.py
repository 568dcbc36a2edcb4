from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiedao.hotline.services import order_sla_check


class Command(BaseCommand):
    help = (
        "Flag 12345 work orders that missed a step (contact, reply, a warning order's "
        "re-handling) and notify who must act, inline (the job Celery beat runs hourly). "
        "Safe to run twice: each missed step is flagged and notified once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="check as of the start of this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["today"]:
            try:
                day = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date in YYYY-MM-DD form") from exc
            now = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        sent = order_sla_check(now=now)
        self.stdout.write(f"{sent} notification(s) sent")
