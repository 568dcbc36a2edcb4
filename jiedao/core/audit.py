"""Audit trail: django-auditlog records every create, update and delete of a domain record.

Encrypted columns and blind-index hashes never enter the log; the masked copies do, so a
history shows that a phone changed from `138****5678` to `139****1234` and no more.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from auditlog.cid import set_cid
from auditlog.context import auditlog_value, set_actor, set_extra_data
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db import models
from django.db.models.signals import pre_delete, pre_save
from django.http import HttpRequest, HttpResponse

PII_COLUMNS = [
    "id_number_encrypted",
    "id_number_hash",
    "phone_encrypted",
    "phone_hash",
    "name_pinyin",
    "name_initials",
]


def track(model: type[models.Model], exclude: list[str] | None = None) -> None:
    auditlog.register(model, exclude_fields=[*PII_COLUMNS, *(exclude or [])])


# The audit context of the request being handled, if any (set by AuditMiddleware).
_request_context: ContextVar[dict[str, Any] | None] = ContextVar("jiedao_audit", default=None)


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, remembering its context so that API handlers can name
    the token's user as the actor once they have authenticated it."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        data = self.get_extra_data(request)
        token = _request_context.set(data)
        try:
            with set_extra_data(context_data=data):
                return self.get_response(request)
        finally:
            _request_context.reset(token)


def set_request_actor(user: Any) -> None:
    """Name `user` as the actor of the current request's writes (API tokens authenticate
    after the middleware ran, so the middleware saw no user)."""
    current = _request_context.get()
    if current is not None and current.get("actor") is None:
        current["actor"] = user


@contextlib.contextmanager
def acting_as(user: Any, remote_addr: str | None = None) -> Iterator[None]:
    """Attribute the writes inside to `user`: in a request, on its context; elsewhere
    (commands, background jobs) in a context of its own."""
    current = _request_context.get()
    if current is not None:
        if current.get("actor") is None:
            current["actor"] = user
        yield
        return
    with set_actor(user, remote_addr=remote_addr):
        token = _request_context.set(auditlog_value.get())
        try:
            yield
        finally:
            _request_context.reset(token)


def history(obj: models.Model) -> models.QuerySet[LogEntry]:
    return LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")


def _refuse_log_change(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    if instance.pk is not None and not kwargs.get("raw"):
        raise PermissionError("audit log entries are append-only")


def _refuse_log_delete(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    raise PermissionError("audit log entries are append-only")


def protect_log() -> None:
    pre_save.connect(_refuse_log_change, sender=LogEntry, dispatch_uid="jiedao_log_no_update")
    pre_delete.connect(_refuse_log_delete, sender=LogEntry, dispatch_uid="jiedao_log_no_delete")


def action_label(entry: LogEntry) -> str:
    from django.utils.translation import gettext as _

    labels = {
        LogEntry.Action.CREATE: _("记录创建"),
        LogEntry.Action.UPDATE: _("记录修改"),
        LogEntry.Action.DELETE: _("记录删除"),
        LogEntry.Action.ACCESS: _("记录查看"),
    }
    return str(labels.get(entry.action, entry.action))


# Bookkeeping columns a timeline does not need to show.
DESCRIBE_SKIP = frozenset({"updated_at", "created_at"})


def describe_changes(
    entry: LogEntry, model: type[models.Model], skip: frozenset[str] = frozenset()
) -> str:
    """An update's changes with the fields' names and the choices' labels, as staff read them."""
    from django.core.exceptions import FieldDoesNotExist

    if entry.action != LogEntry.Action.UPDATE:
        return ""
    parts = []
    for name, change in (entry.changes_dict or {}).items():
        if name in DESCRIBE_SKIP or name in skip:
            continue
        if not isinstance(change, (list, tuple)) or len(change) != 2:
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        label = getattr(field, "verbose_name", name)
        choices = dict(getattr(field, "choices", None) or [])
        old, new = (str(choices.get(v, v)) if v not in (None, "None", "") else "∅" for v in change)
        parts.append(f"{label}: {old} → {new}")
    return "；".join(parts)
