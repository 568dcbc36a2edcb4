"""Background jobs of 好差评: call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def rectification_sla_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): escalate late bad-review follow-ups, once each."""
    from jiedao.evaluations.services import rectification_sla_check

    return rectification_sla_check()
