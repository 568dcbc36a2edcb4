"""Writes of the 12345 work-order module: one function each, checked, atomic, audited, counted.

Every write that changes what an order adds to the roll-ups runs inside
`figures.tracking(WorkOrder, …)` (or calls `figures.added` for a new order), so the rates the
pages read stay equal to a recount of the records.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.accounts.models import Membership, Role
from jiedao.core import figures, pii
from jiedao.core.audit import acting_as
from jiedao.core.models import OrgKind, OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.validators import clean_phone
from jiedao.core.workdays import add_workdays
from jiedao.hotline.models import (
    EXTEND_FROM,
    OPEN_STATUSES,
    ORDER_TRANSITIONS,
    REPLY_PENDING,
    REROUTE_FROM,
    Category,
    HotlineClient,
    OrderChannel,
    OrderStatus,
    OrderTransition,
    PhoneReveal,
    ReturnVisit,
    Review,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    Urgency,
    WorkOrder,
)

log = logging.getLogger(__name__)
S = OrderStatus

CONTACT_WORKDAYS = 1  # contact the caller within 1 working day of signing
WARNING_WORKDAYS = 3  # a warning order is handled again within 3 working days
MAX_EXTENSION_DAYS = 15
CLOCK_SKEW = timedelta(minutes=5)  # a pushed time a little ahead of ours is not "future"
KEY_PREFIX = "hl_"
# Moves only the centre makes (the subdistrict's 城运中心 or its administrators).
CENTRE_MOVES = frozenset({S.DISPATCHED, S.ASSESSED})


class IllegalTransition(ValidationError):
    pass


class DuplicateOrder(ValidationError):
    """A hotline number already received from this source."""

    def __init__(self, existing: WorkOrder) -> None:
        super().__init__(
            {"hotline_number": [_("该热线工单号已接收（%(n)s）。") % {"n": existing.number}]},
        )
        self.existing = existing


def _text(value: Any, limit: int) -> str:
    """Free text as stored: no NUL, trimmed, and any ID or mobile number in it masked."""
    return pii.mask_text(str(value or "").replace("\x00", "").strip())[:limit]


def _require(actor: Any, action: Action, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise NotPermitted(action)


def is_centre(actor: Any, order: WorkOrder) -> bool:
    """Does the actor act for the subdistrict's centre (not only for a lead unit)?"""
    return policy.can_in_org(actor, WorkOrder, Action.CHANGE, order.subdistrict)


def _status_label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


# --- deadlines ----------------------------------------------------------------------------------
def end_of_day(day: date) -> datetime:
    """The last second of a local day: a deadline given as a day runs to its end."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def reply_due_for(category: Category, start: datetime) -> datetime:
    """The handling deadline counted from the dispatch: clock hours, else working days."""
    if category.deadline_hours:
        return start + timedelta(hours=category.deadline_hours)
    return end_of_day(add_workdays(_local_day(start), category.deadline_days))


def contact_due_for(signed_at: datetime, reply_due: datetime | None) -> datetime:
    """Contact within 1 working day of signing, and never after the handling deadline."""
    due = end_of_day(add_workdays(_local_day(signed_at), CONTACT_WORKDAYS))
    return min(due, reply_due) if reply_due is not None else due


def warning_due_for(at: datetime) -> datetime:
    return end_of_day(add_workdays(_local_day(at), WARNING_WORKDAYS))


# --- recipients ---------------------------------------------------------------------------------
def _members(roles: Iterable[str], *, at: OrgUnit) -> set[int]:
    """Active users holding one of `roles` at `at` or above it (a district's centre counts)."""
    rows = Membership.objects.filter(role__in=list(roles), user__is_active=True).values_list(
        "user_id", "org_unit__path"
    )
    return {uid for uid, path in rows if at.path.startswith(path)}


def _centre_ids(order: WorkOrder) -> set[int]:
    return _members([Role.HOTLINE_OFFICER], at=order.subdistrict)


def _unit_ids(order: WorkOrder, unit: OrgUnit | None = None) -> set[int]:
    unit = unit or order.org_unit
    if unit.pk == order.subdistrict_id:
        return set()
    rows = Membership.objects.filter(
        role=Role.COMMITTEE_WORKER,
        user__is_active=True,
        org_unit__path__startswith=order.subdistrict.path,
    ).values_list("user_id", "org_unit__path")
    return {uid for uid, path in rows if unit.path.startswith(path)}


def _order_url(order: WorkOrder) -> str:
    return f"/hotline/orders/{order.pk}/"


def _notify(user_ids: set[int], key: str, message: str, url: str) -> None:
    """In-app notices, written in the write's own transaction: both land or neither."""
    from jiedao.core.services import notification_send

    notification_send(user_ids=user_ids, key=key, message=message, url=url)


# --- platform keys ------------------------------------------------------------------------------
def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def client_create(
    *, name: str, org_unit: OrgUnit, source: str = "12345"
) -> tuple[HotlineClient, str]:
    """Issue a key to the hotline platform of a district or subdistrict. Only its hash is
    stored; the caller shows the key once."""
    name = (name or "").replace("\x00", "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写平台名称。")]
    if org_unit.kind not in {OrgKind.DISTRICT, OrgKind.SUBDISTRICT}:
        errors["org_unit"] = [_("热线平台只能属于一个区或街道。")]
    source = (source or "").strip()
    if not source or len(source) > 30 or not source.replace("-", "").replace("_", "").isalnum():
        errors["source"] = [_("来源编码只能由字母、数字、连字符组成，最多30个字符。")]
    if errors:
        raise ValidationError(errors)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = HotlineClient.objects.create(
            name=name[:100], org_unit=org_unit, source=source, prefix=key[:12], key_hash=_hash(key)
        )
    return client, key


def client_authenticate(key: str) -> HotlineClient | None:
    """The active platform holding `key`, or None for a missing, unknown or disabled key."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    client = HotlineClient.objects.select_related("org_unit").filter(key_hash=_hash(key)).first()
    if client is None or not client.active:
        return None
    return client


# --- intake -------------------------------------------------------------------------------------
def _next_number(subdistrict: OrgUnit, when: datetime) -> str:
    OrgUnit.objects.select_for_update().filter(pk=subdistrict.pk).first()
    prefix = f"{subdistrict.code}-RX{timezone.localtime(when):%Y}-"
    last = WorkOrder.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def _coordinate(value: Any, low: int, high: int, field: str, errors: dict[str, list[str]]) -> Any:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors[field] = [_("坐标格式不正确。")]
        return None
    if not low <= number <= high:
        errors[field] = [_("坐标超出范围。")]
        return None
    return number


def repeat_of(
    *, subdistrict: OrgUnit, phone_hash: str, category: Category, before: datetime
) -> WorkOrder | None:
    """The earliest open order of the same caller and category received before `before`."""
    if not phone_hash:
        return None
    return (
        WorkOrder.objects.filter(
            subdistrict=subdistrict,
            phone_hash=phone_hash,
            category=category,
            status__in=sorted(OPEN_STATUSES),
            merged_into__isnull=True,
            received_at__lte=before,
        )
        .order_by("received_at", "pk")
        .first()
    )


def order_receive(
    *,
    actor: Any,
    subdistrict: OrgUnit,
    category: Category,
    hotline_number: str,
    text: str,
    address: str,
    caller_name: str = "",
    caller_phone: str = "",
    received_at: datetime | None = None,
    urgency: str = Urgency.NORMAL,
    source: str = "12345",
    longitude: Any = None,
    latitude: Any = None,
    client: HotlineClient | None = None,
    ticket_number: str = "",
) -> WorkOrder:
    """Receive an order: pushed by the hotline platform (`client`) or entered by the centre.

    A call from the same phone about the same category while an earlier order is open is a
    repeat call: it is kept, and merged into the first at once (`merged_into`).
    """
    if client is not None:
        if not client.active:
            raise NotPermitted(Action.ADD)
        if not subdistrict.path.startswith(client.org_unit.path):
            raise ValidationError({"subdistrict": [_("该平台不能向这个街道派单。")]})
        source = client.source
    else:
        policy.require_in_org(actor, WorkOrder, Action.ADD, subdistrict)
    errors: dict[str, list[str]] = {}
    if subdistrict.kind != OrgKind.SUBDISTRICT:
        errors["subdistrict"] = [_("工单只能派给街道。")]
    number = str(hotline_number or "").replace("\x00", "").strip()
    if not number:
        errors["hotline_number"] = [_("请填写热线工单号。")]
    elif len(number) > 40:
        errors["hotline_number"] = [_("热线工单号最多40个字符。")]
    if not category.active:
        errors["category"] = [_("该类别已停用。")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("请选择紧急程度。")]
    body = _text(text, 5000)
    if not body:
        errors["text"] = [_("请填写诉求内容。")]
    place = _text(address, 200)
    if not place:
        errors["address"] = [_("请填写地址。")]
    phone = ""
    if str(caller_phone or "").strip():
        try:
            phone = clean_phone(str(caller_phone))
        except ValidationError as exc:
            errors["caller_phone"] = list(exc.messages)
    lon = _coordinate(longitude, -180, 180, "longitude", errors)
    lat = _coordinate(latitude, -90, 90, "latitude", errors)
    if (lon is None) != (lat is None) and not {"longitude", "latitude"} & set(errors):
        errors["longitude"] = [_("经度和纬度须同时填写。")]
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + CLOCK_SKEW:
        errors["received_at"] = [_("受理时间不能晚于现在。")]
    ticket = None
    if str(ticket_number or "").strip():
        from jiedao.affairs.models import Ticket

        ticket = Ticket.objects.filter(
            number=str(ticket_number).strip()[:40], org_unit__path__startswith=subdistrict.path
        ).first()
        if ticket is None:
            errors["ticket_number"] = [_("本街道没有这个办件编号。")]
    if errors:
        raise ValidationError(errors)
    existing = WorkOrder.objects.filter(source=source, hotline_number=number).first()
    if existing is not None:
        raise DuplicateOrder(existing)
    phone_hash = pii.blind_index(phone)
    audit = acting_as(actor) if actor is not None else contextlib.nullcontext()
    with transaction.atomic(), audit:
        first = repeat_of(
            subdistrict=subdistrict, phone_hash=phone_hash, category=category, before=received_at
        )
        try:
            with transaction.atomic():
                order = WorkOrder.objects.create(
                    subdistrict=subdistrict,
                    org_unit=subdistrict,
                    number=_next_number(subdistrict, received_at),
                    source=source,
                    hotline_number=number,
                    channel=OrderChannel.PUSH if client is not None else OrderChannel.MANUAL,
                    client=client,
                    category=category,
                    urgency=urgency,
                    caller_name=_text(caller_name, 50),
                    phone_encrypted=pii.encrypt(phone),
                    phone_hash=phone_hash,
                    phone_masked=pii.mask_phone(phone),
                    address=place,
                    longitude=lon,
                    latitude=lat,
                    text=body,
                    received_at=received_at,
                    status=S.MERGED if first is not None else S.RECEIVED,
                    merged_into=first,
                    ticket=ticket,
                )
        except IntegrityError:  # pushed twice at the same moment
            existing = WorkOrder.objects.get(source=source, hotline_number=number)
            raise DuplicateOrder(existing) from None
        via = _("平台推送：%(name)s") % {"name": client.name} if client else _("人工录入")
        actor_id = getattr(actor, "pk", None)
        OrderTransition.objects.create(
            order=order, from_status="", to_status=S.RECEIVED, actor_id=actor_id,
            at=received_at, note=via[:1000],
        )  # fmt: skip
        if first is not None:
            OrderTransition.objects.create(
                order=order,
                from_status=S.RECEIVED,
                to_status=S.MERGED,
                actor_id=actor_id,
                at=received_at,
                note=_("重复来电（同一来电号码、同一类别），自动合并至 %(n)s。")
                % {"n": first.number},
            )
        figures.added(WorkOrder, [order.pk])
        if first is None:
            _notify(
                _centre_ids(order),
                f"hotline-new:{order.pk}",
                _("新12345工单 %(n)s（%(c)s）待派单。") % {"n": order.number, "c": category.name},
                _order_url(order),
            )
    return order


# --- moves --------------------------------------------------------------------------------------
def _check_moment(order: WorkOrder, at: datetime) -> None:
    if at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": [_("时间不能晚于现在。")]})
    last = order.transitions.aggregate(m=Max("at"))["m"]
    if last is not None and at < last:
        raise ValidationError({"at": [_("时间不能早于上一步骤。")]})


def _lead_unit_error(order: WorkOrder, unit: OrgUnit | None) -> str | None:
    if unit is None:
        return _("请选择承办单位。")
    if unit.kind != OrgKind.COMMITTEE or not unit.path.startswith(order.subdistrict.path):
        return _("承办单位须是本街道的居委会。")
    return None


def _locked(order: WorkOrder) -> WorkOrder:
    locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != order.status:
        raise IllegalTransition(_("工单已被他人更新，请刷新后重试。"))
    return locked


def order_transition(
    *,
    actor: Any,
    order: WorkOrder,
    to_status: str,
    note: str = "",
    at: datetime | None = None,
    lead_unit: OrgUnit | None = None,
    assisting_units: Iterable[OrgUnit] = (),
    reply: str = "",
) -> WorkOrder:
    """Take the order's next step along `ORDER_TRANSITIONS`, timed and recorded.

    Dispatching names the lead unit (a committee of the subdistrict) and sets the handling
    deadline; signing sets the contact deadline; contacting needs a note of the call;
    replying needs the answer. Return visits and merging have their own functions.
    """
    _require(actor, Action.CHANGE, order)
    if to_status not in ORDER_TRANSITIONS.get(order.status, frozenset()):
        raise IllegalTransition(
            _("工单当前为“%(now)s”，不能改为“%(to)s”。")
            % {"now": _status_label(order.status), "to": _status_label(to_status)}
        )
    if to_status == S.VISITED:
        raise ValidationError(_("回访请填写回访结果（满意度、是否解决）。"))
    if to_status == S.MERGED:
        raise ValidationError(_("合并请选择要合并到的工单。"))
    if to_status in CENTRE_MOVES and not is_centre(actor, order):
        raise NotPermitted(Action.CHANGE)
    note = _text(note, 1000)
    reply = _text(reply, 5000)
    errors: dict[str, list[str]] = {}
    assisting = list(assisting_units)
    if to_status == S.DISPATCHED:
        problem = _lead_unit_error(order, lead_unit)
        if problem:
            errors["lead_unit"] = [problem]
        for unit in assisting:
            if unit.kind != OrgKind.COMMITTEE or not unit.path.startswith(order.subdistrict.path):
                errors["assisting_units"] = [_("协办单位须是本街道的居委会。")]
            elif lead_unit is not None and unit.pk == lead_unit.pk:
                errors["assisting_units"] = [_("协办单位不能与承办单位相同。")]
    if to_status == S.CONTACTED and not note:
        errors["note"] = [_("请记录联系情况（联系方式、来电人诉求的确认）。")]
    if to_status == S.REPLIED and not (reply or note):
        errors["reply"] = [_("请填写回复内容（办理结果）。")]
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    _check_moment(order, at)
    with transaction.atomic(), acting_as(actor), figures.tracking(WorkOrder, [order.pk]):
        _locked(order)
        fields = ["status", "updated_at"]
        if to_status == S.DISPATCHED:
            assert lead_unit is not None
            order.org_unit = lead_unit
            order.dispatched_at = at
            fields += ["org_unit", "dispatched_at"]
            if order.reply_due is None:
                order.reply_due = reply_due_for(order.category, at)
                fields.append("reply_due")
            note = note or _("派至 %(unit)s") % {"unit": lead_unit.name}
        elif to_status == S.SIGNED:
            order.signed_at = at
            order.contact_due = contact_due_for(at, order.reply_due)
            fields += ["signed_at", "contact_due"]
        elif to_status == S.CONTACTED:
            order.contacted_at = at
            fields.append("contacted_at")
        elif to_status == S.HANDLING:
            if order.handling_at is None:
                order.handling_at = at
                fields.append("handling_at")
        elif to_status == S.REPLIED:
            order.reply = reply or note
            fields.append("reply")
            if order.warning and order.warning_replied_at is None:
                order.warning_replied_at = at
                fields.append("warning_replied_at")
            elif order.replied_at is None:
                order.replied_at = at
                fields.append("replied_at")
            note = note or reply
        elif to_status == S.ASSESSED:
            order.assessed_at = at
            fields.append("assessed_at")
        OrderTransition.objects.create(
            order=order,
            from_status=order.status,
            to_status=to_status,
            actor=actor,
            at=at,
            note=note[:1000],
        )
        order.status = to_status
        order.save(update_fields=fields)
        if to_status == S.DISPATCHED:
            order.assisting_units.set(assisting)
            recipients = _unit_ids(order)
            for unit in assisting:
                recipients |= _unit_ids(order, unit)
            _notify(
                recipients,
                f"hotline-dispatch:{order.pk}:{order.org_unit_id}",
                _("12345工单 %(n)s 已派至 %(unit)s，请及时签收并在1个工作日内联系来电人。")
                % {"n": order.number, "unit": order.org_unit.name},
                _order_url(order),
            )
    return order


def _visit_note(label: Any, resolved: bool, note: str) -> str:
    outcome = _("已解决") if resolved else _("未解决")
    text = f"{label}，{outcome}" + (f"。{note}" if note else "")
    return text[:1000]


def order_visit(
    *,
    actor: Any,
    order: WorkOrder,
    satisfaction: str,
    resolved: bool,
    note: str = "",
    at: datetime | None = None,
    service_level: Any = None,
) -> WorkOrder:
    """Record the return visit of a replied order. The first unsatisfied one turns the order
    into a warning order (预警工单): back to handling, due again in 3 working days.

    When the order is about a government-services ticket, the caller's rating of that service
    (`service_level`, 1–5) is recorded as its 好差评 evaluation through 12345."""
    _require(actor, Action.CHANGE, order)
    if not is_centre(actor, order):
        raise NotPermitted(Action.CHANGE)
    if order.status != S.REPLIED:
        raise IllegalTransition(
            _("工单当前为“%(now)s”，回复后才能回访。") % {"now": _status_label(order.status)}
        )
    errors: dict[str, list[str]] = {}
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("请选择满意度。")]
    if not isinstance(resolved, bool):
        errors["resolved"] = [_("请选择是否解决。")]
    if service_level not in (None, "") and order.ticket_id is None:
        errors["service_level"] = [_("该工单不涉及政务服务办件，无需评价服务。")]
    if errors:
        raise ValidationError(errors)
    note = _text(note, 500)
    at = at or timezone.now()
    _check_moment(order, at)
    with transaction.atomic(), acting_as(actor), figures.tracking(WorkOrder, [order.pk]):
        _locked(order)
        if service_level not in (None, "") and order.ticket is not None:
            from jiedao.evaluations.services import evaluation_from_hotline

            evaluation_from_hotline(
                actor=actor, ticket=order.ticket, level=service_level, comment=note, at=at
            )
        rounds = order.visits.count()
        ReturnVisit.objects.create(
            order=order,
            round=rounds + 1,
            satisfaction=satisfaction,
            resolved=resolved,
            note=note,
            visited_by=actor,
            visited_at=at,
        )
        label = Satisfaction(satisfaction).label
        OrderTransition.objects.create(
            order=order,
            from_status=S.REPLIED,
            to_status=S.VISITED,
            actor=actor,
            at=at,
            note=_visit_note(label, resolved, note),
        )
        order.status = S.VISITED
        order.visited_at = at
        order.satisfaction = satisfaction
        order.resolved = resolved
        fields = ["status", "visited_at", "satisfaction", "resolved", "updated_at"]
        if satisfaction == Satisfaction.UNSATISFIED and not order.warning:
            order.warning = True
            order.warning_at = at
            order.warning_due = warning_due_for(at)
            order.status = S.HANDLING
            fields += ["warning", "warning_at", "warning_due"]
            OrderTransition.objects.create(
                order=order,
                from_status=S.VISITED,
                to_status=S.HANDLING,
                actor=actor,
                at=at,
                note=_("回访不满意，转为预警工单，须在%(n)s个工作日内重新办理。")
                % {"n": WARNING_WORKDAYS},
            )
            _notify(
                _unit_ids(order) | _centre_ids(order),
                f"hotline-warning:{order.pk}",
                _("12345工单 %(n)s 回访不满意，已转为预警工单，请于 %(due)s 前重新办理。")
                % {"n": order.number, "due": f"{timezone.localtime(order.warning_due):%Y-%m-%d}"},
                _order_url(order),
            )
        order.save(update_fields=fields)
    return order


def order_merge(*, actor: Any, order: WorkOrder, into: WorkOrder, note: str = "") -> WorkOrder:
    """Merge a call on a matter already open into that order: it is then counted once."""
    _require(actor, Action.CHANGE, order)
    if not is_centre(actor, order):
        raise NotPermitted(Action.CHANGE)
    if S.MERGED not in ORDER_TRANSITIONS.get(order.status, frozenset()):
        raise IllegalTransition(
            _("工单当前为“%(now)s”，不能再合并。") % {"now": _status_label(order.status)}
        )
    if into.pk == order.pk:
        raise ValidationError({"into": [_("不能合并到工单自身。")]})
    if into.subdistrict_id != order.subdistrict_id:
        raise ValidationError({"into": [_("只能合并到本街道的工单。")]})
    if into.status not in OPEN_STATUSES or into.merged_into_id is not None:
        raise ValidationError({"into": [_("只能合并到尚未办结的工单。")]})
    note = _text(note, 1000)
    at = timezone.now()
    with transaction.atomic(), acting_as(actor), figures.tracking(WorkOrder, [order.pk]):
        _locked(order)
        OrderTransition.objects.create(
            order=order,
            from_status=order.status,
            to_status=S.MERGED,
            actor=actor,
            at=at,
            note=(_("合并至 %(n)s") % {"n": into.number} + (f"：{note}" if note else ""))[:1000],
        )
        order.status = S.MERGED
        order.merged_into = into
        order.save(update_fields=["status", "merged_into", "updated_at"])
    return order


# --- send back, reassignment, extension ---------------------------------------------------------
def review_request(
    *,
    actor: Any,
    order: WorkOrder,
    kind: str,
    reason: str,
    lead_unit: OrgUnit | None = None,
    extra_days: int | None = None,
) -> Review:
    """Ask to send the order back (退单), give it to another unit (改派) or extend its deadline.

    Send-back is refused outright unless the category allows it ("原则上不准退单"). An extension
    of a category that needs no approval is granted at once; everything else waits for a
    subdistrict administrator (`review_decide`).
    """
    _require(actor, Action.CHANGE, order)
    errors: dict[str, list[str]] = {}
    if kind not in ReviewKind.values:
        raise ValidationError({"kind": [_("请选择申请类型。")]})
    reason = _text(reason, 500)
    if len(reason) < 2:
        errors["reason"] = [_("请说明理由。")]
    if kind in {ReviewKind.SEND_BACK, ReviewKind.REASSIGN} and order.status not in REROUTE_FROM:
        raise IllegalTransition(
            _("工单当前为“%(now)s”；只有联系来电人之前才能申请退单或改派。")
            % {"now": _status_label(order.status)}
        )
    if kind == ReviewKind.SEND_BACK and not order.category.send_back_allowed:
        raise ValidationError(
            _("“%(c)s”类工单原则上不准退单；如确非本单位职责，请申请改派。")
            % {"c": order.category.name}
        )
    if kind == ReviewKind.REASSIGN:
        problem = _lead_unit_error(order, lead_unit)
        if problem:
            errors["lead_unit"] = [problem]
        elif lead_unit is not None and lead_unit.pk == order.org_unit_id:
            errors["lead_unit"] = [_("请选择另一个承办单位。")]
    if kind == ReviewKind.EXTENSION:
        if order.status not in EXTEND_FROM:
            raise IllegalTransition(
                _("工单当前为“%(now)s”，不能申请延期。") % {"now": _status_label(order.status)}
            )
        if order.warning:
            errors["extra_days"] = [_("预警工单不能延期。")]
        elif not isinstance(extra_days, int) or not 1 <= extra_days <= MAX_EXTENSION_DAYS:
            errors["extra_days"] = [_("延期应为1到%(n)s个工作日。") % {"n": MAX_EXTENSION_DAYS}]
    if errors:
        raise ValidationError(errors)
    if order.reviews.filter(status=ReviewStatus.PENDING).exists():
        raise ValidationError(_("该工单已有待审核的申请，请等待审核结果。"))
    now = timezone.now()
    with transaction.atomic(), acting_as(actor):
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    order=order,
                    kind=kind,
                    reason=reason,
                    requested_by=actor,
                    requested_at=now,
                    lead_unit=lead_unit if kind == ReviewKind.REASSIGN else None,
                    extra_days=extra_days if kind == ReviewKind.EXTENSION else None,
                )
        except IntegrityError:
            raise ValidationError(_("该工单已有待审核的申请，请等待审核结果。")) from None
        if kind == ReviewKind.EXTENSION and not order.category.extension_needs_approval:
            with figures.tracking(WorkOrder, [order.pk]):
                _apply(review, decided_by=None, note=_("该类别延期无需审核，已自动同意。"), at=now)
        else:
            admins = _members([Role.SUBDISTRICT_ADMIN], at=order.subdistrict) - {actor.pk}
            _notify(
                admins,
                f"hotline-review:{review.pk}",
                _("12345工单 %(n)s 申请%(kind)s，待审核。")
                % {"n": order.number, "kind": ReviewKind(kind).label},
                "/hotline/reviews/",
            )
    return review


def _apply(review: Review, *, decided_by: Any, note: str, at: datetime) -> None:
    """Carry out an approved review on its (locked) order."""
    order = WorkOrder.objects.select_for_update().select_related("category").get(pk=review.order_id)
    review.status = ReviewStatus.APPROVED
    review.decided_by = decided_by
    review.decided_at = at
    review.decision_note = note[:500]
    review.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    if review.kind == ReviewKind.EXTENSION:
        assert order.reply_due is not None and review.extra_days
        order.reply_due = end_of_day(add_workdays(_local_day(order.reply_due), review.extra_days))
        order.extended_days += review.extra_days
        order.reply_overdue_at = None
        order.save(update_fields=["reply_due", "extended_days", "reply_overdue_at", "updated_at"])
        return
    if order.status not in REROUTE_FROM:
        raise IllegalTransition(
            _("工单当前为“%(now)s”，已不能%(kind)s。")
            % {"now": _status_label(order.status), "kind": ReviewKind(review.kind).label}
        )
    if review.kind == ReviewKind.SEND_BACK:
        OrderTransition.objects.create(
            order=order,
            from_status=order.status,
            to_status=S.SENT_BACK,
            actor=decided_by,
            at=at,
            note=(_("退单：%(r)s") % {"r": review.reason})[:1000],
        )
        order.status = S.SENT_BACK
        order.save(update_fields=["status", "updated_at"])
        return
    assert review.lead_unit is not None
    OrderTransition.objects.create(
        order=order,
        from_status=order.status,
        to_status=S.DISPATCHED,
        actor=decided_by,
        at=at,
        note=(
            _("改派：%(old)s → %(new)s；%(r)s")
            % {"old": order.org_unit.name, "new": review.lead_unit.name, "r": review.reason}
        )[:1000],
    )
    order.status = S.DISPATCHED
    order.org_unit = review.lead_unit
    order.dispatched_at = at
    order.signed_at = None
    order.contact_due = None
    order.contact_overdue_at = None
    order.save(
        update_fields=[
            "status",
            "org_unit",
            "dispatched_at",
            "signed_at",
            "contact_due",
            "contact_overdue_at",
            "updated_at",
        ]
    )
    _notify(
        _unit_ids(order),
        f"hotline-dispatch:{order.pk}:{order.org_unit_id}",
        _("12345工单 %(n)s 已改派至 %(unit)s，请及时签收并在1个工作日内联系来电人。")
        % {"n": order.number, "unit": order.org_unit.name},
        _order_url(order),
    )


def review_decide(*, actor: Any, review: Review, approve: bool, note: str = "") -> Review:
    """A subdistrict administrator approves or refuses a pending request (派单异议审核)."""
    _require(actor, Action.CHANGE, review)
    if review.status != ReviewStatus.PENDING:
        raise ValidationError(_("该申请已审核。"))
    if review.requested_by_id == getattr(actor, "pk", None):
        raise ValidationError(_("不能审核自己提出的申请。"))
    note = _text(note, 500)
    if not approve and len(note) < 2:
        raise ValidationError({"note": [_("驳回时请填写审核意见。")]})
    now = timezone.now()
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(WorkOrder, [review.order_id]),
    ):
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.status != ReviewStatus.PENDING:
            raise ValidationError(_("该申请已审核。"))
        if approve:
            _apply(review, decided_by=actor, note=note, at=now)
        else:
            review.status = ReviewStatus.REFUSED
            review.decided_by = actor
            review.decided_at = now
            review.decision_note = note
            review.save(
                update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
            )
        _notify(
            {review.requested_by_id},
            f"hotline-review-decided:{review.pk}",
            _("您对工单 %(n)s 的%(kind)s申请%(result)s。")
            % {
                "n": review.order.number,
                "kind": ReviewKind(review.kind).label,
                "result": _("已同意") if approve else _("被驳回"),
            },
            _order_url(review.order),
        )
    return review


# --- personal data ------------------------------------------------------------------------------
def order_phone_reveal(
    *, actor: Any, order: WorkOrder, reason: str, remote_addr: str | None = None
) -> str:
    """The caller's clear phone number, logged with who, when, which order and why."""
    _require(actor, Action.REVEAL, order)
    reason = str(reason or "").replace("\x00", "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请说明查看理由。")]})
    if not order.phone_encrypted:
        raise ValidationError(_("该工单没有来电号码。"))
    PhoneReveal.objects.create(
        user=actor, order=order, reason=reason[:200], remote_addr=remote_addr
    )
    log.info("hotline phone reveal: user=%s order=%s", actor.pk, order.pk)
    return pii.decrypt(order.phone_encrypted)


# --- SLA ----------------------------------------------------------------------------------------
def order_sla_check(*, now: datetime | None = None) -> int:
    """Flag each overdue step once and notify who must act; returns notifications created.

    Three steps are watched: contacting the caller (signed, not contacted, past `contact_due`),
    the reply (dispatched, not replied, past `reply_due`) and a warning order's re-handling
    (past `warning_due`). Each is marked by a conditional UPDATE, so only the run that marked
    it notifies, and notification keys are unique per user: running twice notifies nobody
    twice.
    """
    from jiedao.core.services import notification_send

    now = now or timezone.now()
    leaders = list(
        Membership.objects.filter(role=Role.SUBDISTRICT_LEADER, user__is_active=True).values_list(
            "user_id", "org_unit__path"
        )
    )
    checks: list[tuple[str, Q, str, Any]] = [
        (
            "contact_overdue_at",
            Q(status=S.SIGNED, contact_due__lt=now),
            "hotline-contact-overdue",
            _("12345工单 %(n)s 签收后未在时限（%(due)s）内联系来电人，请立即联系。"),
        ),
        (
            "reply_overdue_at",
            Q(status__in=sorted(REPLY_PENDING), warning=False, reply_due__lt=now),
            "hotline-reply-overdue",
            _("12345工单 %(n)s 已超过办理期限（%(due)s），请督办。"),
        ),
        (
            "warning_overdue_at",
            Q(
                status=S.HANDLING,
                warning=True,
                warning_replied_at__isnull=True,
                warning_due__lt=now,
            ),
            "hotline-warning-overdue",
            _("预警工单 %(n)s 已超过重新办理期限（%(due)s），请督办。"),
        ),
    ]
    sent = 0
    for flag, condition, key, message in checks:
        due_field = {
            "contact_overdue_at": "contact_due",
            "reply_overdue_at": "reply_due",
            "warning_overdue_at": "warning_due",
        }[flag]
        overdue = list(
            WorkOrder.objects.filter(condition, **{f"{flag}__isnull": True})
            .select_related("subdistrict", "org_unit")
            .order_by("received_at", "pk")
        )
        for order in overdue:
            with transaction.atomic():
                marked = WorkOrder.objects.filter(
                    condition, pk=order.pk, **{f"{flag}__isnull": True}
                ).update(**{flag: now})
                if not marked:  # another run got there first
                    continue
                recipients = _unit_ids(order) | _centre_ids(order)
                if flag != "contact_overdue_at":
                    recipients |= {
                        uid for uid, path in leaders if order.subdistrict.path.startswith(path)
                    }
                due = getattr(order, due_field)
                # An extended deadline missed again is a new miss: the due moment is in the key.
                sent += notification_send(
                    user_ids=recipients,
                    key=f"{key}:{order.pk}:{timezone.localtime(due):%Y%m%d%H%M}",
                    message=message
                    % {"n": order.number, "due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}"},
                    url=_order_url(order),
                )
    return sent
