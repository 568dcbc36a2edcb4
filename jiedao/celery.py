"""Celery app. Without CELERY_BROKER_URL every task runs inline (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")

app = Celery("jiedao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
