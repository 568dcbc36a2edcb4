"""Background jobs: take ids, call a service, safe to run twice (inline without a broker)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def import_job_run_task(job_id: int, actor_id: int) -> str:
    from jiedao.core.imports import import_job_run

    return str(import_job_run(job_id=job_id, actor_id=actor_id).status)
