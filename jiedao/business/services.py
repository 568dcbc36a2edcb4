"""Writes of the business environment module: one function each, atomic, audited, checked."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.business.models import (
    ACTION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    ActionItem,
    ActionState,
    BuildingProfile,
    Council,
    CouncilMember,
    EnterpriseProfile,
    EnterpriseRequest,
    LiaisonAssignment,
    LiaisonVisit,
    Meeting,
    MeetingKind,
    MemberKind,
    Policy,
    RequestStatus,
    RequestTransition,
    RequestType,
    Vacancy,
    VacancyStatus,
    Viewing,
    ViewingOutcome,
)
from jiedao.core import figures
from jiedao.core.audit import acting_as
from jiedao.core.models import Enterprise, OfficeBuilding, OrgKind, OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.workdays import add_workdays


class IllegalTransition(ValidationError):
    pass


def _require(actor: Any, action: Action, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise NotPermitted(action)


def _changed(obj: Any, data: dict[str, Any]) -> list[str]:
    changed = [k for k, v in data.items() if getattr(obj, k) != v]
    for k in changed:
        setattr(obj, k, data[k])
    return changed


# --- profiles ---------------------------------------------------------------------------------
def building_profile_save(
    *, actor: Any, building: OfficeBuilding, data: dict[str, Any]
) -> BuildingProfile:
    """Create or update the business profile of a building the actor may see."""
    if not policy.can(actor, Action.VIEW, building):
        raise NotPermitted(Action.VIEW)
    policy.require_in_org(actor, BuildingProfile, Action.CHANGE, building.org_unit)
    profile = BuildingProfile.objects.filter(building=building).first() or BuildingProfile(
        building=building
    )
    changed = _changed(profile, data)
    if profile.pk is None or changed:
        with transaction.atomic(), acting_as(actor):
            profile.full_clean()
            profile.save()
    return profile


def enterprise_profile_save(
    *, actor: Any, enterprise: Enterprise, data: dict[str, Any]
) -> tuple[EnterpriseProfile, bool]:
    """Create or update an enterprise's profile; returns (profile, whether anything changed)."""
    policy.require_in_org(actor, EnterpriseProfile, Action.CHANGE, enterprise.org_unit)
    profile = EnterpriseProfile.objects.filter(enterprise=enterprise).first()
    created = profile is None
    if profile is None:
        profile = EnterpriseProfile(enterprise=enterprise)
    # An update may give only one of the two dates: check it against the stored other one.
    moved_in = data.get("moved_in", profile.moved_in)
    moved_out = data.get("moved_out", profile.moved_out)
    if moved_in and moved_out and moved_out < moved_in:
        raise ValidationError({"moved_out": [_("迁出日期不能早于入驻日期。")]})
    changed = _changed(profile, data)
    if created or changed:
        with transaction.atomic(), acting_as(actor), figures.tracking(Enterprise, [enterprise.pk]):
            profile.full_clean()
            profile.save()
    return profile, created or bool(changed)


# --- vacancies and viewings -------------------------------------------------------------------
def vacancy_create(*, actor: Any, building: OfficeBuilding, **data: Any) -> Vacancy:
    policy.require_in_org(actor, Vacancy, Action.ADD, building.org_unit)
    low, high = data.get("rent_min"), data.get("rent_max")
    if low is not None and high is not None and low > high:
        raise ValidationError({"rent_max": [_("租金上限不能低于下限。")]})
    with transaction.atomic(), acting_as(actor):
        vacancy = Vacancy(building=building, **data)
        vacancy.full_clean()
        vacancy.save()
    return vacancy


def viewing_book(
    *,
    actor: Any,
    vacancy: Vacancy,
    day: date,
    enterprise: Enterprise | None = None,
    prospect_name: str = "",
    request: EnterpriseRequest | None = None,
    note: str = "",
) -> Viewing:
    _require(actor, Action.VIEW, vacancy)
    policy.require_in_org(actor, Viewing, Action.ADD, vacancy.building.org_unit)
    if vacancy.status != VacancyStatus.OPEN:
        raise ValidationError(_("该房源已不可租。"))
    if enterprise is None and not prospect_name.strip():
        raise ValidationError({"prospect_name": [_("请选择企业或填写意向企业名称。")]})
    with transaction.atomic(), acting_as(actor):
        return Viewing.objects.create(
            vacancy=vacancy,
            enterprise=enterprise,
            prospect_name=prospect_name[:200],
            date=day,
            guide=actor,
            request=request,
            note=note[:300],
        )


def viewing_record_outcome(
    *, actor: Any, viewing: Viewing, outcome: str, note: str = ""
) -> Viewing:
    """Record how a viewing ended; a move-in lets the vacancy."""
    _require(actor, Action.CHANGE, viewing)
    if outcome not in {ViewingOutcome.MOVED_IN, ViewingOutcome.DECLINED, ViewingOutcome.CANCELLED}:
        raise ValidationError({"outcome": [_("请选择带看结果。")]})
    if viewing.outcome != ViewingOutcome.BOOKED:
        raise ValidationError(_("该带看已有结果。"))
    with transaction.atomic(), acting_as(actor):
        viewing.outcome = outcome
        if note:
            viewing.note = note[:300]
        viewing.save(update_fields=["outcome", "note", "updated_at"])
        if outcome == ViewingOutcome.MOVED_IN:
            vacancy = viewing.vacancy
            vacancy.status = VacancyStatus.LET
            vacancy.save(update_fields=["status", "updated_at"])
    return viewing


# --- councils, meetings, action items ---------------------------------------------------------
def council_create(
    *,
    actor: Any,
    org_unit: OrgUnit,
    name: str,
    convener: str,
    secretary_general: str,
    buildings: list[OfficeBuilding],
    party_committee: str = "",
    founded: date | None = None,
) -> Council:
    policy.require_in_org(actor, Council, Action.ADD, org_unit)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写名称。")]
    elif Council.objects.filter(org_unit=org_unit, name=name.strip()).exists():
        errors["name"] = [_("该组织已有同名楼务会。")]
    if not convener.strip():
        errors["convener"] = [_("请填写召集人。")]
    if not secretary_general.strip():
        errors["secretary_general"] = [_("请填写秘书长。")]
    if not buildings:
        errors["buildings"] = [_("楼务会至少覆盖一栋楼宇。")]
    elif any(not b.org_unit.path.startswith(org_unit.path) for b in buildings):
        errors["buildings"] = [_("楼宇不在该组织范围内。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_as(actor):
        council = Council.objects.create(
            org_unit=org_unit,
            name=name.strip(),
            convener=convener.strip(),
            secretary_general=secretary_general.strip(),
            party_committee=party_committee,
            founded=founded,
        )
        figures.added(Council, [council.pk])
        building_ids = [b.pk for b in buildings]
        firm_ids = Enterprise.objects.filter(building_id__in=building_ids).values_list(
            "pk", flat=True
        )
        with (
            figures.tracking(OfficeBuilding, building_ids),
            figures.tracking(Enterprise, list(firm_ids)),
        ):
            council.buildings.set(buildings)
    return council


def council_member_add(
    *,
    actor: Any,
    council: Council,
    kind: str,
    role: str = "",
    enterprise: Enterprise | None = None,
    name: str = "",
) -> CouncilMember:
    _require(actor, Action.CHANGE, council)
    if kind not in MemberKind.values:
        raise ValidationError({"kind": [_("请选择成员单位类型。")]})
    if enterprise is None and not name.strip():
        raise ValidationError({"name": [_("请选择企业或填写单位名称。")]})
    with transaction.atomic(), acting_as(actor):
        return CouncilMember.objects.create(
            council=council, kind=kind, enterprise=enterprise, name=name[:200], role=role[:50]
        )


def meeting_record(
    *,
    actor: Any,
    council: Council,
    kind: str,
    day: date,
    title: str,
    agenda: str = "",
    minutes: str = "",
    attendees: list[str] | None = None,
    experts: list[str] | None = None,
    departments: list[str] | None = None,
    decisions: list[dict[str, Any]] | None = None,
) -> Meeting:
    """Record a meeting; each decision {title, owner, deadline} becomes an action item."""
    _require(actor, Action.CHANGE, council)
    errors: dict[str, list[str]] = {}
    if kind not in MeetingKind.values:
        errors["kind"] = [_("请选择会议类型。")]
    if not title.strip():
        errors["title"] = [_("请填写议题。")]
    for n, decision in enumerate(decisions or [], start=1):
        if not str(decision.get("title", "")).strip() or not str(decision.get("owner", "")).strip():
            errors.setdefault("decisions", []).append(
                _("第 %(n)s 项决定缺少事项或责任单位。") % {"n": n}
            )
        if not isinstance(decision.get("deadline"), date):
            errors.setdefault("decisions", []).append(_("第 %(n)s 项决定缺少完成时限。") % {"n": n})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_as(actor):
        meeting = Meeting.objects.create(
            council=council,
            kind=kind,
            date=day,
            title=title.strip()[:200],
            agenda=agenda,
            minutes=minutes,
            attendees=attendees or [],
            experts=experts or [],
            departments=departments or [],
        )
        for decision in decisions or []:
            ActionItem.objects.create(
                meeting=meeting,
                council=council,
                title=str(decision["title"])[:200],
                owner=str(decision["owner"])[:100],
                deadline=decision["deadline"],
            )
    return meeting


def action_item_move(
    *, actor: Any, item: ActionItem, to_state: str, result: str = ""
) -> ActionItem:
    """Move an action item; it can be closed (done) only with a result."""
    _require(actor, Action.CHANGE, item)
    if to_state not in ACTION_TRANSITIONS.get(item.state, frozenset()):
        raise IllegalTransition(
            _("议定事项当前为“%(now)s”，不能改为“%(to)s”。")
            % {
                "now": ActionState(item.state).label,
                "to": ActionState(to_state).label if to_state in ActionState.values else to_state,
            }
        )
    if to_state == ActionState.DONE and not result.strip():
        raise ValidationError({"result": [_("办结议定事项时必须填写办理结果。")]})
    with transaction.atomic(), acting_as(actor):
        item.state = to_state
        fields = ["state", "updated_at"]
        if result.strip():
            item.result = result.strip()
            fields.append("result")
        if to_state in {ActionState.DONE, ActionState.CANCELLED}:
            item.closed_at = timezone.now()
            fields.append("closed_at")
        item.save(update_fields=fields)
    return item


# --- liaison ----------------------------------------------------------------------------------
def liaison_assign(
    *, actor: Any, building: OfficeBuilding, leader: Any, department: str, interval_days: int = 90
) -> LiaisonAssignment:
    policy.require_in_org(actor, LiaisonAssignment, Action.ADD, building.org_unit)
    if interval_days < 1 or interval_days > 366:
        raise ValidationError({"interval_days": [_("走访周期应在1到366天之间。")]})
    if not policy.can_in_org(leader, LiaisonVisit, Action.ADD, building.org_unit):
        raise ValidationError({"leader": [_("所选领导无权包联该楼宇。")]})
    with transaction.atomic(), acting_as(actor):
        assignment, _created = LiaisonAssignment.objects.update_or_create(
            building=building,
            defaults={"leader": leader, "department": department, "interval_days": interval_days},
        )
    return assignment


def liaison_visit_record(
    *,
    actor: Any,
    building: OfficeBuilding,
    day: date,
    visitors: list[Any],
    enterprises: list[Enterprise] | None = None,
    issues: list[str] | None = None,
    note: str = "",
) -> LiaisonVisit:
    policy.require_in_org(actor, LiaisonVisit, Action.ADD, building.org_unit)
    if day > timezone.localdate():
        raise ValidationError({"date": [_("走访日期不能晚于今天。")]})
    firms = enterprises or []
    if any(e.building_id != building.pk for e in firms):
        raise ValidationError({"enterprises": [_("所选企业不在该楼宇。")]})
    with transaction.atomic(), acting_as(actor):
        visit = LiaisonVisit.objects.create(
            building=building,
            date=day,
            issues=[i.strip()[:500] for i in issues or [] if i.strip()],
            note=note,
        )
        visit.visitors.set(visitors or [actor])
        visit.enterprises.set(firms)
    return visit


# --- enterprise requests ----------------------------------------------------------------------
def request_due_dates(rtype: RequestType, received_at: datetime) -> dict[str, Any]:
    """The type's due steps from the moment of receipt, in working days where they are days."""
    received_day = timezone.localtime(received_at).date()
    return {
        "ack_due": received_at + timedelta(hours=rtype.ack_hours),
        "response_due": add_workdays(received_day, rtype.response_days),
        "resolve_due": add_workdays(received_day, rtype.resolve_days),
    }


def _next_request_number(org_unit: OrgUnit, when: datetime) -> str:
    subdistrict = org_unit.ancestor_of_kind(OrgKind.SUBDISTRICT) or org_unit
    OrgUnit.objects.select_for_update().filter(pk=subdistrict.pk).first()
    prefix = f"{subdistrict.code}-QY{timezone.localtime(when):%Y}-"
    last = EnterpriseRequest.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))[
        "m"
    ]
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def request_file(
    *,
    actor: Any,
    enterprise: Enterprise,
    rtype: RequestType,
    title: str,
    description: str,
    policy_doc: Policy | None = None,
    liaison_visit: LiaisonVisit | None = None,
    received_at: datetime | None = None,
) -> EnterpriseRequest:
    """File a request: by the enterprise's own contact, or by the business office for it."""
    own = enterprise.contact is not None and enterprise.contact.user_id == getattr(
        actor, "pk", None
    )
    if not own:
        policy.require_in_org(actor, EnterpriseRequest, Action.ADD, enterprise.org_unit)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("请填写标题。")]
    if not description.strip():
        errors["description"] = [_("请填写诉求内容。")]
    if errors:
        raise ValidationError(errors)
    received_at = received_at or timezone.now()
    with transaction.atomic(), acting_as(actor):
        request = EnterpriseRequest.objects.create(
            org_unit=enterprise.org_unit,
            number=_next_request_number(enterprise.org_unit, received_at),
            enterprise=enterprise,
            type=rtype,
            title=title.strip()[:200],
            description=description.strip()[:5000],
            policy=policy_doc,
            liaison_visit=liaison_visit,
            received_at=received_at,
            **request_due_dates(rtype, received_at),
        )
        RequestTransition.objects.create(
            request=request,
            from_status="",
            to_status=RequestStatus.RECEIVED,
            actor=actor,
            at=received_at,
        )
        figures.added(EnterpriseRequest, [request.pk])
    return request


def request_transition(
    *,
    actor: Any,
    request: EnterpriseRequest,
    to_status: str,
    note: str = "",
    referred_to: str = "",
    at: datetime | None = None,
) -> EnterpriseRequest:
    """Move a request along its map; the first staff answer after receipt is its first response."""
    _require(actor, Action.CHANGE, request)
    if to_status not in REQUEST_TRANSITIONS.get(request.status, frozenset()):
        raise IllegalTransition(
            _("诉求当前为“%(now)s”，不能改为“%(to)s”。")
            % {
                "now": RequestStatus(request.status).label,
                "to": RequestStatus(to_status).label
                if to_status in RequestStatus.values
                else to_status,
            }
        )
    if to_status == RequestStatus.REFERRED and not referred_to.strip():
        raise ValidationError({"referred_to": [_("请填写转办部门。")]})
    if to_status in {RequestStatus.RESOLVED, RequestStatus.CLOSED} and not note.strip():
        raise ValidationError({"note": [_("请填写答复或办理结果。")]})
    at = at or timezone.now()
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(EnterpriseRequest, [request.pk]),
    ):
        locked = EnterpriseRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != request.status:
            raise IllegalTransition(_("诉求已被他人更新，请刷新后重试。"))
        RequestTransition.objects.create(
            request=request,
            from_status=request.status,
            to_status=to_status,
            actor=actor,
            at=at,
            note=note[:500],
        )
        fields = ["status", "updated_at"]
        request.status = to_status
        if to_status == RequestStatus.ACKNOWLEDGED and request.acknowledged_at is None:
            request.acknowledged_at = at
            fields.append("acknowledged_at")
        if to_status != RequestStatus.ACKNOWLEDGED and request.first_response_at is None:
            request.first_response_at = at
            fields.append("first_response_at")
        if to_status in {RequestStatus.RESOLVED, RequestStatus.REFERRED}:
            request.resolved_at = at
            fields.append("resolved_at")
        if to_status == RequestStatus.REFERRED:
            request.referred_to = referred_to.strip()[:100]
            fields.append("referred_to")
        if request.assigned_to_id is None:
            request.assigned_to = actor
            fields.append("assigned_to")
        request.save(update_fields=fields)
    return request


def request_assign(*, actor: Any, request: EnterpriseRequest, assignee: Any) -> EnterpriseRequest:
    _require(actor, Action.CHANGE, request)
    if not policy.can(assignee, Action.CHANGE, request):
        raise ValidationError({"assigned_to": [_("所选人员无权办理该诉求。")]})
    with transaction.atomic(), acting_as(actor):
        request.assigned_to = assignee
        request.save(update_fields=["assigned_to", "updated_at"])
    return request


def request_rate(
    *, actor: Any, request: EnterpriseRequest, rating: int, comment: str = ""
) -> EnterpriseRequest:
    """The enterprise rates the outcome (1–5) once the request is resolved."""
    contact = request.enterprise.contact
    if contact is None or contact.user_id != getattr(actor, "pk", None):
        raise NotPermitted(Action.CHANGE)
    if (
        request.status not in {RequestStatus.RESOLVED, RequestStatus.REFERRED, RequestStatus.CLOSED}
        or request.resolved_at is None
    ):
        raise ValidationError(_("诉求解决后才能评价。"))
    if request.rating is not None:
        raise ValidationError(_("该诉求已评价。"))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("评价应为1到5之间的整数。")]})
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(EnterpriseRequest, [request.pk]),
    ):
        request.rating = rating
        request.rating_comment = comment[:500]
        request.save(update_fields=["rating", "rating_comment", "updated_at"])
    return request


def policy_create(*, actor: Any, org_unit: OrgUnit, **data: Any) -> Policy:
    policy.require_in_org(actor, Policy, Action.ADD, org_unit)
    attachment = data.get("attachment")
    if attachment and not bytes(attachment.read(5)).startswith(b"%PDF-"):
        raise ValidationError({"attachment": [_("附件必须是 PDF 文件。")]})
    if attachment:
        attachment.seek(0)
    with transaction.atomic(), acting_as(actor):
        doc = Policy(org_unit=org_unit, **data)
        doc.full_clean()
        doc.save()
    return doc


# --- SLA escalation ---------------------------------------------------------------------------
def _request_url(request: EnterpriseRequest) -> str:
    return f"/business/requests/{request.pk}/"


def request_late_steps(request: EnterpriseRequest, *, today: date, now: datetime) -> list[str]:
    """The due steps an open request has missed, each with its time limit (for a message)."""
    steps = []
    if request.acknowledged_at is None and request.ack_due < now:
        due = f"{timezone.localtime(request.ack_due):%Y-%m-%d %H:%M}"
        steps.append(_("受理（时限 %(due)s）") % {"due": due})
    if request.first_response_at is None and request.response_due < today:
        steps.append(_("首次答复（时限 %(due)s）") % {"due": request.response_due})
    if request.resolve_due < today:
        steps.append(_("办结（时限 %(due)s）") % {"due": request.resolve_due})
    return steps


def request_sla_escalate(*, today: date | None = None, now: datetime | None = None) -> int:
    """Escalate open requests past any due step to the responsible leaders, once per request.

    Notified: the subdistrict leaders at or above the request's org unit, the leader the
    enterprise's building is assigned to (包联), and the assignee. Safe to run twice, even at
    the same time: a request is escalated by a conditional update of `escalated_at`, and a
    notification's key is unique per user. Given only `today`, the check is as of the start of
    that day. Returns the number of notifications created.
    """
    from jiedao.accounts.models import Membership, Role
    from jiedao.business.models import REQUEST_OPEN
    from jiedao.business.selectors import overdue_q
    from jiedao.core.services import notification_send

    if now is None:
        now = (
            timezone.now()
            if today is None
            else timezone.make_aware(datetime.combine(today, datetime.min.time()))
        )
    today = today or timezone.localdate(now)
    open_statuses = sorted(REQUEST_OPEN)
    leaders = list(
        Membership.objects.filter(role=Role.SUBDISTRICT_LEADER, user__is_active=True).values_list(
            "user_id", "org_unit__path"
        )
    )
    overdue = list(
        EnterpriseRequest.objects.filter(overdue_q(today, now), escalated_at__isnull=True)
        .select_related("org_unit", "enterprise", "assigned_to")
        .order_by("received_at", "pk")
    )
    liaison_leaders = dict(
        LiaisonAssignment.objects.filter(
            building_id__in={r.enterprise.building_id for r in overdue},
            leader__is_active=True,
        ).values_list("building_id", "leader_id")
    )
    sent = 0
    for request in overdue:
        path = request.org_unit.path
        recipients = {uid for uid, at in leaders if path.startswith(at)}
        building_id = request.enterprise.building_id
        if building_id is not None and building_id in liaison_leaders:
            recipients.add(liaison_leaders[building_id])
        if request.assigned_to is not None and request.assigned_to.is_active:
            recipients.add(request.assigned_to.pk)
        steps = "、".join(request_late_steps(request, today=today, now=now))
        with transaction.atomic():
            marked = EnterpriseRequest.objects.filter(
                pk=request.pk, escalated_at__isnull=True, status__in=open_statuses
            ).update(escalated_at=now)
            if not marked:  # another run got there first
                continue
            sent += notification_send(
                user_ids=recipients,
                key=f"request-overdue:{request.pk}",
                message=_("企业诉求 %(number)s（%(enterprise)s）已超时：%(steps)s，请督办。")
                % {"number": request.number, "enterprise": request.enterprise.name, "steps": steps},
                url=_request_url(request),
            )
    return sent
