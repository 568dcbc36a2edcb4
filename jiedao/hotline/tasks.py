"""Background jobs of the 12345 module: call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def hotline_sla_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): flag overdue work-order steps and notify, once each."""
    from jiedao.hotline.services import order_sla_check

    return order_sla_check()
