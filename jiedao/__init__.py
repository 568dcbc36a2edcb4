"""Jiedao (街道): the platform a subdistrict office runs its daily work on."""

from jiedao.celery import app as celery_app

__all__ = ["celery_app"]
