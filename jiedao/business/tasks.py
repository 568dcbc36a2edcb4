"""Background jobs of the business environment: call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def request_sla_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): escalate overdue enterprise requests, once each."""
    from jiedao.business.services import request_sla_escalate

    return request_sla_escalate()
