"""Helpers shared by the 12345 tests. Orders go through `jiedao.hotline.services`, so numbers,
deadlines, transitions, merges and the roll-ups are made the way the app makes them; the
catalogue entries are plain rows."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jiedao.core.models import OrgUnit
from jiedao.hotline import services
from jiedao.hotline.models import Category, CategoryKind, OrderStatus, WorkOrder

SH = ZoneInfo("Asia/Shanghai")
S = OrderStatus
_numbers = itertools.count(1)
_phones = itertools.count(10_000_000)


def sh(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SH)


def make_category(
    code: str = "property",
    name: str = "物业服务",
    kind: str = CategoryKind.COMPLAINT,
    *,
    days: int = 5,
    hours: int | None = None,
    approval: bool = True,
    send_back: bool = False,
) -> Category:
    return Category.objects.create(
        code=code,
        name=name,
        kind=kind,
        deadline_days=days,
        deadline_hours=hours,
        extension_needs_approval=approval,
        send_back_allowed=send_back,
    )


def new_phone() -> str:
    return f"139{next(_phones):08d}"


def receive(
    actor: Any,
    subdistrict: OrgUnit,
    category: Category,
    received_at: datetime | None = None,
    **kwargs: Any,
) -> WorkOrder:
    data: dict[str, Any] = {
        "hotline_number": f"HL{next(_numbers):08d}",
        "text": "楼道照明灯损坏多日。",
        "address": "天目西路100号",
        "caller_name": "王先生",
        "caller_phone": new_phone(),
    }
    data.update(kwargs)
    return services.order_receive(
        actor=actor, subdistrict=subdistrict, category=category, received_at=received_at, **data
    )


# The steps after dispatch, each by whoever may take it, with the data it needs.
def dispatch(order: WorkOrder, centre: Any, unit: OrgUnit, at: datetime | None = None, **kw: Any):
    return services.order_transition(
        actor=centre, order=order, to_status=S.DISPATCHED, lead_unit=unit, at=at, **kw
    )


def step(order: WorkOrder, actor: Any, to: str, at: datetime | None = None) -> WorkOrder:
    extra: dict[str, Any] = {}
    if to == S.CONTACTED:
        extra["note"] = "已电话联系来电人。"
    if to == S.REPLIED:
        extra["reply"] = "已修复。"
    return services.order_transition(actor=actor, order=order, to_status=to, at=at, **extra)


def to_replied(order: WorkOrder, centre: Any, unit: OrgUnit, worker: Any) -> WorkOrder:
    """Walk a received order to replied, now."""
    dispatch(order, centre, unit)
    for to in (S.SIGNED, S.CONTACTED, S.HANDLING, S.REPLIED):
        step(order, worker, to)
    return order


def visit(order: WorkOrder, centre: Any, satisfaction: str = "satisfied", resolved: bool = True):
    return services.order_visit(
        actor=centre, order=order, satisfaction=satisfaction, resolved=resolved
    )
