"""Background jobs of government services: take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def sla_check_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): mark overdue tickets and notify, once each."""
    from jiedao.affairs.services import ticket_sla_check

    return ticket_sla_check()
