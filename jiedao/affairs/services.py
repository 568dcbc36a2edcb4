"""Writes of the government-services module: one function each, atomic, audited, checked."""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.affairs.models import (
    RETURN_VISIT_QUESTIONS,
    TRANSITIONS,
    AttributeType,
    Channel,
    DoorToDoorRequest,
    Resolution,
    ReturnVisit,
    ServiceItem,
    ServicePoint,
    Ticket,
    TicketStatus,
    TicketTransition,
    Trip,
    VisitStatus,
)
from jiedao.core import figures
from jiedao.core.audit import acting_as
from jiedao.core.models import Enterprise, OrgKind, OrgUnit, Person
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.workdays import add_workdays


class IllegalTransition(ValidationError):
    pass


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def clean_attributes(item: ServiceItem, raw: dict[str, Any]) -> dict[str, Any]:
    """Check the extra attributes against the item's typed definitions."""
    errors: list[str] = []
    cleaned: dict[str, Any] = {}
    raw = raw or {}
    for attr in item.attributes or []:
        code, label = attr.get("code", ""), attr.get("label", attr.get("code", ""))
        value = raw.get(code)
        empty = value in (None, "", [])
        if empty:
            if attr.get("required"):
                errors.append(_("请填写“%(label)s”。") % {"label": label})
            continue
        datatype = attr.get("datatype", AttributeType.STRING)
        keys = {str(v.get("key")) for v in attr.get("values", [])}
        if datatype == AttributeType.NUMBER:
            try:
                value = float(str(value))
                if not math.isfinite(value):  # NaN and infinity are not valid JSON
                    raise ValueError(value)
            except ValueError:
                errors.append(_("“%(label)s”应为数字。") % {"label": label})
                continue
        elif datatype == AttributeType.DATETIME:
            try:
                datetime.fromisoformat(str(value))
            except ValueError:
                errors.append(_("“%(label)s”应为日期时间。") % {"label": label})
                continue
            value = str(value)
        elif datatype == AttributeType.SINGLE:
            if str(value) not in keys:
                errors.append(_("“%(label)s”的选项无效。") % {"label": label})
                continue
            value = str(value)
        elif datatype == AttributeType.MULTI:
            values = value if isinstance(value, list) else [value]
            if not all(str(v) in keys for v in values):
                errors.append(_("“%(label)s”的选项无效。") % {"label": label})
                continue
            value = [str(v) for v in values]
        else:
            value = str(value)[:2000]
        cleaned[code] = value
    if errors:
        raise ValidationError({"attributes": errors})
    return cleaned


def _next_number(point: ServicePoint, when: datetime) -> str:
    """The next `TMX-2026-000123`. Called inside the creating transaction: locking the
    subdistrict's row makes two tickets filed at once take turns instead of one failing."""
    subdistrict = point.org_unit.ancestor_of_kind(OrgKind.SUBDISTRICT) or point.org_unit
    OrgUnit.objects.select_for_update().filter(pk=subdistrict.pk).first()
    prefix = f"{subdistrict.code}-{timezone.localtime(when):%Y}-"
    last = Ticket.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"] or ""
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def ticket_create(
    *,
    actor: Any,
    item: ServiceItem,
    point: ServicePoint,
    channel: str,
    applicant_person: Person | None = None,
    applicant_enterprise: Enterprise | None = None,
    attributes: dict[str, Any] | None = None,
    materials: dict[str, bool] | None = None,
    notes: str = "",
    submitted_at: datetime | None = None,
    in_person: bool | None = None,
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Open a ticket. An in-person channel (window, help point) records the applicant's trip."""
    policy.require_in_org(actor, Ticket, Action.ADD, point.org_unit)
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("渠道无效。")]
    if applicant_person is None and applicant_enterprise is None:
        errors["applicant"] = [_("请选择申请人或申请企业。")]
    # A follow-up carries on a case whose item and answers were checked when it was opened,
    # even if the item has since been retired or its form changed.
    carried_on = follow_up_of is not None and follow_up_of.item_id == item.pk
    if carried_on:
        pass
    elif not item.active:
        errors["item"] = [_("该事项已停用。")]
    elif point.items.exists() and not point.items.filter(pk=item.pk).exists():
        errors["item"] = [_("该服务点不办理此事项。")]
    cleaned_attributes: dict[str, Any] = {}
    if follow_up_of is not None and carried_on and attributes == follow_up_of.attributes:
        cleaned_attributes = dict(follow_up_of.attributes)
    else:
        try:
            cleaned_attributes = clean_attributes(item, attributes or {})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    submitted_at = submitted_at or timezone.now()
    checklist = {m: bool((materials or {}).get(m)) for m in item.materials or []}
    with transaction.atomic(), acting_as(actor):
        ticket = Ticket.objects.create(
            org_unit=point.org_unit,
            number=_next_number(point, submitted_at),
            item=item,
            point=point,
            channel=channel,
            applicant_person=applicant_person,
            applicant_enterprise=applicant_enterprise,
            attributes=cleaned_attributes,
            materials=checklist,
            handler=actor if channel == Channel.WINDOW else None,
            submitted_at=submitted_at,
            due_date=add_workdays(_local_date(submitted_at), item.time_limit_days),
            notes=notes[:2000],
            follow_up_of=follow_up_of,
        )
        TicketTransition.objects.create(
            ticket=ticket,
            from_status="",
            to_status=TicketStatus.SUBMITTED,
            actor=actor,
            at=submitted_at,
        )
        came = (
            in_person
            if in_person is not None
            else channel in {Channel.WINDOW, Channel.HELP_POINT, Channel.SELF_SERVICE}
        )
        if came:
            Trip.objects.create(
                ticket=ticket,
                date=_local_date(submitted_at),
                point=point,
                purpose=_("提交申请"),
                recorded_by=actor,
            )
        figures.added(Ticket, [ticket.pk])
    return ticket


def ticket_submit_by_client(
    *,
    client: Any,
    item: ServiceItem,
    applicant_person: Person | None = None,
    attributes: dict[str, Any] | None = None,
    description: str = "",
) -> Ticket:
    """A ticket filed by an outside application (Open311), for the client's subdistrict.

    It lands at the subdistrict's centre, channel "online", with no handler: the centre's
    all-round windows take it from the queue. No user acts, so the audit actor is empty and the
    first transition's note names the client.
    """
    if not client.active:
        raise NotPermitted(Action.ADD)
    point = (
        ServicePoint.objects.filter(org_unit=client.org_unit, kind="centre").order_by("pk").first()
    )
    if point is None:
        raise ValidationError(_("该街道没有受理中心，无法接收申请。"))
    if not item.active:
        raise ValidationError({"item": [_("该事项已停用。")]})
    if point.items.exists() and not point.items.filter(pk=item.pk).exists():
        raise ValidationError({"item": [_("该服务点不办理此事项。")]})
    if applicant_person is None:
        raise ValidationError({"applicant": [_("请提供申请人。")]})
    cleaned = clean_attributes(item, attributes or {})
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            org_unit=point.org_unit,
            number=_next_number(point, now),
            item=item,
            point=point,
            channel=Channel.ONLINE,
            applicant_person=applicant_person,
            attributes=cleaned,
            materials={m: False for m in item.materials or []},
            submitted_at=now,
            due_date=add_workdays(_local_date(now), item.time_limit_days),
            notes=description[:2000],
        )
        TicketTransition.objects.create(
            ticket=ticket,
            from_status="",
            to_status=TicketStatus.SUBMITTED,
            at=now,
            note=f"Open311: {client.name}"[:300],
        )
        figures.added(Ticket, [ticket.pk])
    return ticket


def ticket_transition(
    *, actor: Any, ticket: Ticket, to_status: str, note: str = "", at: datetime | None = None
) -> Ticket:
    """Move a ticket along the transition map, recorded with actor and time."""
    if not policy.can(actor, Action.CHANGE, ticket):
        raise NotPermitted(Action.CHANGE)
    allowed = TRANSITIONS.get(ticket.status, frozenset())
    if to_status not in allowed:
        raise IllegalTransition(
            _("办件当前状态为“%(now)s”，不能改为“%(to)s”。")
            % {
                "now": TicketStatus(ticket.status).label,
                "to": TicketStatus(to_status).label
                if to_status in TicketStatus.values
                else to_status,
            }
        )
    if to_status in {TicketStatus.RETURNED, TicketStatus.REJECTED} and not note.strip():
        raise ValidationError({"note": [_("退回或不予受理时请说明原因。")]})
    at = at or timezone.now()
    with transaction.atomic(), acting_as(actor), figures.tracking(Ticket, [ticket.pk]):
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status != ticket.status:
            raise IllegalTransition(_("办件已被他人更新，请刷新后重试。"))
        TicketTransition.objects.create(
            ticket=ticket,
            from_status=ticket.status,
            to_status=to_status,
            actor=actor,
            at=at,
            note=note[:300],
        )
        fields = ["status", "updated_at"]
        ticket.status = to_status
        if to_status == TicketStatus.COMPLETED:
            ticket.completed_at = at
            fields.append("completed_at")
        if ticket.handler_id is None and to_status in {
            TicketStatus.ACCEPTED,
            TicketStatus.IN_PROGRESS,
        }:
            ticket.handler = actor
            fields.append("handler")
        ticket.save(update_fields=fields)
    return ticket


def ticket_take(*, actor: Any, ticket: Ticket) -> Ticket:
    """All-round windows: any clerk of the centre may take any open ticket."""
    if not policy.can(actor, Action.CHANGE, ticket):
        raise NotPermitted(Action.CHANGE)
    if not ticket.is_open:
        raise ValidationError(_("已结束的办件不能再认领。"))
    with transaction.atomic(), acting_as(actor):
        ticket.handler = actor
        ticket.save(update_fields=["handler", "updated_at"])
    return ticket


def trip_record(
    *, actor: Any, ticket: Ticket, day: date, point: ServicePoint, purpose: str = ""
) -> Trip:
    if not policy.can(actor, Action.CHANGE, ticket):
        raise NotPermitted(Action.CHANGE)
    if day < _local_date(ticket.submitted_at) or day > timezone.localdate():
        raise ValidationError({"date": [_("跑动日期应在提交日期和今天之间。")]})
    with transaction.atomic(), acting_as(actor), figures.tracking(Ticket, [ticket.pk]):
        return Trip.objects.create(
            ticket=ticket, date=day, point=point, purpose=purpose[:200], recorded_by=actor
        )


# --- door-to-door help ------------------------------------------------------------------------
def door_request_create(
    *,
    actor: Any,
    person: Person,
    reason: str,
    requested_via: str,
    item: ServiceItem | None = None,
    point: ServicePoint | None = None,
) -> DoorToDoorRequest:
    policy.require_in_org(actor, DoorToDoorRequest, Action.ADD, person.org_unit)
    if not reason.strip():
        raise ValidationError({"reason": [_("请说明为何需要上门。")]})
    if requested_via not in {Channel.HELP_POINT, Channel.PHONE}:
        raise ValidationError({"requested_via": [_("上门帮办只能由帮办点或电话申请。")]})
    if item is not None and not (item.active and item.door_to_door):
        raise ValidationError({"item": [_("该事项不提供上门帮办。")]})
    with transaction.atomic(), acting_as(actor):
        return DoorToDoorRequest.objects.create(
            org_unit=person.org_unit,
            person=person,
            item=item,
            reason=reason[:200],
            requested_via=requested_via,
            point=point,
        )


def door_request_schedule(
    *, actor: Any, request: DoorToDoorRequest, assigned_to: Any, day: date
) -> DoorToDoorRequest:
    if not policy.can(actor, Action.CHANGE, request):
        raise NotPermitted(Action.CHANGE)
    if request.status not in {VisitStatus.REQUESTED, VisitStatus.SCHEDULED}:
        raise ValidationError(_("已上门或已取消的申请不能再安排。"))
    if day < timezone.localdate():
        raise ValidationError({"scheduled_date": [_("上门日期不能早于今天。")]})
    if not policy.can_in_org(assigned_to, DoorToDoorRequest, Action.CHANGE, request.org_unit):
        raise ValidationError({"assigned_to": [_("所选人员无权处理该居民的上门帮办。")]})
    with transaction.atomic(), acting_as(actor):
        request.assigned_to = assigned_to
        request.scheduled_date = day
        request.status = VisitStatus.SCHEDULED
        request.save(update_fields=["assigned_to", "scheduled_date", "status", "updated_at"])
    return request


def door_request_record_visit(
    *, actor: Any, request: DoorToDoorRequest, outcome: str, ticket: Ticket | None = None
) -> DoorToDoorRequest:
    if not policy.can(actor, Action.CHANGE, request):
        raise NotPermitted(Action.CHANGE)
    if request.status != VisitStatus.SCHEDULED:
        raise ValidationError(_("只有已安排的上门帮办才能登记结果。"))
    if not outcome.strip():
        raise ValidationError({"outcome": [_("请填写上门结果。")]})
    if ticket is not None and ticket.applicant_person_id != request.person_id:
        raise ValidationError({"ticket": [_("办件的申请人不是该居民。")]})
    with transaction.atomic(), acting_as(actor), figures.tracking(DoorToDoorRequest, [request.pk]):
        request.outcome = outcome[:2000]
        request.status = VisitStatus.VISITED
        request.visited_at = timezone.now()
        request.ticket = ticket
        request.save(update_fields=["outcome", "status", "visited_at", "ticket", "updated_at"])
    return request


# --- return visits ----------------------------------------------------------------------------
def return_visit_record(
    *,
    actor: Any,
    ticket: Ticket,
    satisfaction: int,
    resolution: str,
    answers: list[str] | None = None,
    suggestions: str = "",
    called_at: datetime | None = None,
) -> ReturnVisit:
    """Record a call back. "Not resolved" or a score ≤ 2 opens a linked follow-up ticket."""
    if not policy.can(actor, Action.CHANGE, ticket):
        raise NotPermitted(Action.CHANGE)
    errors: dict[str, list[str]] = {}
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("满意度应为1到5之间的整数。")]
    if resolution not in Resolution.values:
        errors["resolution"] = [_("请选择解决情况。")]
    if ticket.status != TicketStatus.COMPLETED:
        errors["ticket"] = [_("只能回访已办结的办件。")]
    if errors:
        raise ValidationError(errors)
    answers = [str(a)[:500] for a in (answers or [])][: len(RETURN_VISIT_QUESTIONS)]
    with transaction.atomic(), acting_as(actor):
        visit = ReturnVisit.objects.create(
            ticket=ticket,
            caller=actor,
            called_at=called_at or timezone.now(),
            answers=[
                {"question": str(q), "answer": a}
                for q, a in zip(RETURN_VISIT_QUESTIONS, answers, strict=False)
            ],
            satisfaction=satisfaction,
            resolution=resolution,
            suggestions=suggestions[:2000],
        )
        figures.added(ReturnVisit, [visit.pk])
        if resolution == Resolution.NOT_RESOLVED or satisfaction <= 2:
            ticket_flag_follow_up(actor=actor, ticket=ticket, visit=visit)
    return visit


def ticket_flag_follow_up(*, actor: Any, ticket: Ticket, visit: ReturnVisit) -> Ticket:
    """Flag the ticket and open a linked follow-up ticket for the same applicant and item.

    The flag change is audited (old and new value) and the follow-up's first transition says why.
    """
    with transaction.atomic(), acting_as(actor):
        ticket.needs_follow_up = True
        ticket.save(update_fields=["needs_follow_up", "updated_at"])
        follow_up = Ticket.objects.filter(follow_up_of=ticket).first()
        if follow_up is None:
            follow_up = ticket_create(
                actor=actor,
                item=ticket.item,
                point=ticket.point,
                channel=Channel.PHONE,
                applicant_person=ticket.applicant_person,
                applicant_enterprise=ticket.applicant_enterprise,
                attributes=ticket.attributes,
                materials=ticket.materials,
                notes=_("回访跟进：满意度 %(s)s，%(r)s。%(text)s")
                % {
                    "s": visit.satisfaction,
                    "r": Resolution(visit.resolution).label,
                    "text": visit.suggestions,
                },
                in_person=False,
                follow_up_of=ticket,
            )
    return follow_up


def sample_for_return_visit(tickets: list[Ticket], *, seed: str) -> list[Ticket]:
    """The call list: each item's share of completed tickets, plus every late or complained one.

    Deterministic for a seed (e.g. the month), so the list does not change on reload.
    """
    chosen = []
    for ticket in tickets:
        late = (
            ticket.completed_at is not None and _local_date(ticket.completed_at) > ticket.due_date
        )
        if late or ticket.complained:
            chosen.append(ticket)
            continue
        draw = random.Random(f"{seed}:{ticket.number}").random()
        if draw < float(ticket.item.sample_rate):
            chosen.append(ticket)
    return chosen


# --- catalogue ----------------------------------------------------------------------------------
YES = {"是", "yes", "y", "true", "1", "√", "✓"}
NO = {"否", "no", "n", "false", "0", ""}


def parse_flag(raw: str, label: str) -> bool:
    value = (raw or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(_("“%(label)s”应填“是”或“否”。") % {"label": label})


def item_upsert(*, actor: Any, org_unit: Any, data: dict[str, Any]) -> tuple[ServiceItem, str]:
    """Create or update a service item keyed by its code (the catalogue's natural key)."""
    existing = ServiceItem.objects.filter(code=data["code"]).first()
    if existing is None:
        policy.require_in_org(actor, ServiceItem, Action.ADD, org_unit)
        with transaction.atomic(), acting_as(actor):
            item = ServiceItem(org_unit=org_unit, **data)
            item.full_clean()
            item.save()
        return item, "created"
    changed = [k for k, v in data.items() if getattr(existing, k) != v]
    if not changed:
        return existing, "unchanged"
    if not policy.can(actor, Action.CHANGE, existing) or not existing.org_unit.path.startswith(
        org_unit.path
    ):
        raise ValidationError(_("该事项编码属于您无权修改的事项。"))
    for k in changed:
        setattr(existing, k, data[k])
    with transaction.atomic(), acting_as(actor):
        existing.full_clean()
        existing.save(update_fields=[*changed, "updated_at"])
    return existing, "updated"


# --- SLA: overdue and due-soon notices ----------------------------------------------------------
def _ticket_url(ticket: Ticket) -> str:
    return f"/affairs/tickets/{ticket.pk}/"


def ticket_sla_check(*, today: date | None = None) -> int:
    """Mark open tickets past their due date and notify in-app, once per ticket and person.

    Overdue: the handler, the subdistrict leaders at or above the ticket's org and, when nobody
    has taken the ticket, the clerks of its subdistrict. Due within the next working days: the
    handler. Safe to run twice: a breach is marked by a conditional update, and a notification's
    key is unique per user. Returns the number of notifications created.
    """
    from jiedao.accounts.models import Membership, Role
    from jiedao.affairs.models import OPEN_STATUSES
    from jiedao.affairs.selectors import DUE_SOON_WORKDAYS
    from jiedao.core.models import OrgUnit
    from jiedao.core.services import notification_send

    today = today or timezone.localdate()
    now = timezone.now()
    open_statuses = sorted(OPEN_STATUSES)
    staff = list(
        Membership.objects.filter(
            role__in=[Role.SUBDISTRICT_LEADER, Role.SERVICE_CLERK], user__is_active=True
        ).values_list("user_id", "role", "org_unit__path")
    )
    subdistricts = list(
        OrgUnit.objects.filter(kind=OrgKind.SUBDISTRICT).values_list("path", flat=True)
    )
    sent = 0
    overdue = (
        Ticket.objects.filter(
            status__in=open_statuses, due_date__lt=today, breach_notified_at__isnull=True
        )
        .select_related("org_unit", "item")
        .order_by("due_date", "pk")
    )
    for ticket in overdue:
        path = ticket.org_unit.path
        sub_path = next((p for p in subdistricts if path.startswith(p)), path)
        recipients = {
            uid
            for uid, role, at in staff
            if role == Role.SUBDISTRICT_LEADER and path.startswith(at)
        }
        if ticket.handler_id is not None:
            recipients.add(ticket.handler_id)
        else:
            recipients |= {
                uid
                for uid, role, at in staff
                if role == Role.SERVICE_CLERK and path.startswith(at) and at.startswith(sub_path)
            }
        with transaction.atomic():
            marked = Ticket.objects.filter(
                pk=ticket.pk, breach_notified_at__isnull=True, status__in=open_statuses
            ).update(breach_notified_at=now)
            if not marked:  # another run got there first
                continue
            sent += notification_send(
                user_ids=recipients,
                key=f"ticket-overdue:{ticket.pk}",
                message=_("办件 %(number)s（%(item)s）已超过办结期限 %(due)s，请尽快办理。")
                % {"number": ticket.number, "item": ticket.item.name, "due": ticket.due_date},
                url=_ticket_url(ticket),
            )
    due_soon = (
        Ticket.objects.filter(
            status__in=open_statuses,
            handler__isnull=False,
            handler__is_active=True,
            due_date__gte=today,
            due_date__lte=add_workdays(today, DUE_SOON_WORKDAYS),
        )
        .select_related("item")
        .order_by("due_date", "pk")
    )
    for ticket in due_soon:
        assert ticket.handler_id is not None
        sent += notification_send(
            user_ids=[ticket.handler_id],
            key=f"ticket-due-soon:{ticket.pk}",
            message=_("办件 %(number)s（%(item)s）将于 %(due)s 到期。")
            % {"number": ticket.number, "item": ticket.item.name, "due": ticket.due_date},
            url=_ticket_url(ticket),
        )
    return sent
