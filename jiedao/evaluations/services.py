"""Writes of 好差评: giving an evaluation (by link or entered by staff), bad-review handling,
appeals, and the deadline job. Every write keeps the roll-ups in step (`figures.tracking`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.accounts.models import Membership, Role
from jiedao.affairs.models import Ticket, TicketStatus
from jiedao.business.models import EnterpriseRequest, RequestStatus
from jiedao.core import figures
from jiedao.core.audit import acting_as
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.services import notification_send
from jiedao.core.workdays import add_workdays
from jiedao.evaluations.models import (
    BAD_LEVELS,
    COMPLEX_FIX_WORKDAYS,
    CONTACT_WORKDAYS,
    RECTIFICATION_OPEN,
    RECTIFICATION_TRANSITIONS,
    SIMPLE_FIX_WORKDAYS,
    STAFF_CHANNELS,
    Appeal,
    AppealStatus,
    EvalChannel,
    Evaluation,
    EvaluationToken,
    Level,
    Rectification,
    RectificationStatus,
    RectificationStep,
    indicators_for,
)

TOKEN_DAYS = 15  # a link to rate stays valid this many days
# Many evaluations from one address or device in a short time are flagged for review.
SUSPICIOUS_WINDOW = timedelta(minutes=30)
SUSPICIOUS_COUNT = 5
CLOSED_REQUEST = frozenset({RequestStatus.RESOLVED, RequestStatus.REFERRED, RequestStatus.CLOSED})
Case = Ticket | EnterpriseRequest


class IllegalTransition(ValidationError):
    pass


@dataclass(frozen=True)
class Rating:
    """What the applicant says: the overall level, the indicators, a comment."""

    level: Any
    scores: dict[str, Any]
    comment: str = ""

    def clean(self, channel: str) -> Rating:
        errors: dict[str, list[str]] = {}
        level = _whole(self.level)
        if level not in Level.values:
            errors["level"] = [_("请选择总体评价（非常满意到非常不满意）。")]
        allowed = indicators_for(channel)
        scores: dict[str, int] = {}
        for key, value in (self.scores or {}).items():
            if value in (None, ""):
                continue
            score = _whole(value)
            if key not in allowed:
                errors.setdefault("scores", []).append(_("未知的评价项：%(k)s") % {"k": key})
            elif score not in Level.values:
                errors.setdefault("scores", []).append(
                    _("“%(name)s”应为1到5之间的整数。") % {"name": allowed[key]}
                )
            else:
                scores[key] = score
        comment = (self.comment or "").strip()
        if len(comment) > 500:
            errors["comment"] = [_("意见建议不能超过500字。")]
        if errors:
            raise ValidationError(errors)
        return Rating(level=level, scores=scores, comment=comment)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def source_key(*parts: str) -> str:
    """A keyed hash of where an evaluation came from (address, device): compared, never shown."""
    key = hashlib.sha256(f"evaluation-source:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- the case -------------------------------------------------------------------------------
def _case_of(obj: Any) -> Case:
    if isinstance(obj, Ticket | EnterpriseRequest):
        return obj
    raise TypeError(obj)


def case_done(case: Case) -> bool:
    if isinstance(case, Ticket):
        return case.status == TicketStatus.COMPLETED and case.completed_at is not None
    return case.status in CLOSED_REQUEST and case.resolved_at is not None


def _matched(case: Case) -> dict[str, Any]:
    """What an evaluation of this case is matched to: item, point, staff, the person."""
    if isinstance(case, Ticket):
        return {
            "ticket": case,
            "org_unit_id": case.org_unit_id,
            "item_id": case.item_id,
            "point_id": case.point_id,
            "staff_id": case.handler_id,
            "person_id": case.applicant_person_id,
        }
    contact = case.enterprise.contact if case.enterprise_id else None
    return {
        "request": case,
        "org_unit_id": case.org_unit_id,
        "request_type_id": case.type_id,
        "staff_id": case.assigned_to_id,
        "person_id": contact.pk if contact is not None else None,
    }


def _case_filter(case: Case) -> dict[str, Any]:
    return {"ticket": case} if isinstance(case, Ticket) else {"request": case}


def _check_can_be_rated(case: Case, channel: str) -> None:
    if not case_done(case):
        raise ValidationError(_("办结后才能评价。"))
    if Evaluation.objects.filter(channel=channel, **_case_filter(case)).exists():
        raise ValidationError(
            _("该事项已通过“%(c)s”评价过，一事一评，不能重复评价。")
            % {"c": EvalChannel(channel).label}
        )


# --- giving an evaluation ---------------------------------------------------------------------
def _give(
    *,
    case: Case,
    channel: str,
    rating: Rating,
    entered_by: Any = None,
    source: str = "",
    at: datetime | None = None,
) -> Evaluation:
    """Create the evaluation (and its rectification when bad), inside the caller's transaction."""
    at = at or timezone.now()
    rating = rating.clean(channel)
    _check_can_be_rated(case, channel)
    suspicious, reason = False, ""
    if source:
        recent = Evaluation.objects.filter(
            source=source, given_at__gte=at - SUSPICIOUS_WINDOW, given_at__lte=at
        ).count()
        if recent + 1 >= SUSPICIOUS_COUNT:
            suspicious = True
            reason = _("%(n)s 分钟内同一来源提交了 %(c)s 条评价") % {
                "n": int(SUSPICIOUS_WINDOW.total_seconds() // 60),
                "c": recent + 1,
            }
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                channel=channel,
                level=rating.level,
                scores=rating.scores,
                comment=rating.comment,
                given_at=at,
                entered_by=entered_by,
                source=source,
                suspicious=suspicious,
                suspicious_reason=reason,
                **_matched(case),
            )
    except IntegrityError as exc:  # the same case and channel at the same moment
        raise ValidationError(_("该事项已评价过，一事一评，不能重复评价。")) from exc
    figures.added(Evaluation, [evaluation.pk])
    if rating.level in BAD_LEVELS:
        day = timezone.localtime(at).date()
        rect = Rectification.objects.create(
            evaluation=evaluation,
            org_unit_id=evaluation.org_unit_id,
            contact_due=add_workdays(day, CONTACT_WORKDAYS),
            fix_due=add_workdays(day, SIMPLE_FIX_WORKDAYS),
            handler_id=_rectification_handler(case),
        )
        RectificationStep.objects.create(
            rectification=rect, to_status=RectificationStatus.OPEN, at=at, actor=entered_by
        )
        figures.added(Rectification, [rect.pk])
        _notify_bad(rect.pk)  # in the same transaction: the notice lands with the review
    return evaluation


def _rectification_handler(case: Case) -> int | None:
    """The one who must call back: the case's handler, if still active."""
    user = case.handler if isinstance(case, Ticket) else case.assigned_to
    return user.pk if user is not None and user.is_active else None


def evaluation_enter(
    *, actor: Any, case: Any, channel: str, rating: Rating, at: datetime | None = None
) -> Evaluation:
    """Staff enter what the applicant said on a call or at the door (电话/12345, 上门).

    Nobody enters an evaluation of a case they handled themselves."""
    case = _case_of(case)
    if channel not in STAFF_CHANNELS:
        raise ValidationError(
            {"channel": [_("工作人员只能代录电话或上门回访中的评价；其他渠道由办事人本人评价。")]}
        )
    if not policy.can_in_org(actor, Evaluation, Action.ADD, case.org_unit):
        raise NotPermitted(Action.ADD)
    if not policy.can(actor, Action.VIEW, case):
        raise NotPermitted(Action.VIEW)
    staff_id = case.handler_id if isinstance(case, Ticket) else case.assigned_to_id
    if staff_id is not None and staff_id == actor.pk:
        raise ValidationError(_("不能评价自己经办的事项。"))
    if at is not None and at > timezone.now():
        raise ValidationError({"given_at": [_("评价时间不能晚于现在。")]})
    with transaction.atomic(), acting_as(actor):
        return _give(case=case, channel=channel, rating=rating, entered_by=actor, at=at)


def evaluation_from_hotline(
    *, actor: Any, ticket: Ticket, level: Any, comment: str = "", at: datetime | None = None
) -> Evaluation:
    """A caller's rating of a service, given on a 12345 return visit, as its evaluation.

    The 12345 centre records it without reading the ticket (it holds no grant on tickets);
    the rules are the same: once per case through 12345, and never by the ticket's handler."""
    if not policy.can_in_org(actor, Evaluation, Action.ADD, ticket.org_unit):
        raise NotPermitted(Action.ADD)
    if ticket.handler_id is not None and ticket.handler_id == actor.pk:
        raise ValidationError(_("不能评价自己经办的事项。"))
    with transaction.atomic(), acting_as(actor):
        return _give(
            case=ticket,
            channel=EvalChannel.HOTLINE,
            rating=Rating(level, {}, comment),
            entered_by=actor,
            at=at,
        )


def token_issue(
    *, actor: Any, case: Any, channel: str = EvalChannel.QR
) -> tuple[EvaluationToken, str]:
    """A link to rate this case once, for its QR code, the window's pad or an SMS.

    Returns the token row and the raw token (only the digest is stored)."""
    case = _case_of(case)
    if channel not in {EvalChannel.QR, EvalChannel.PAD, EvalChannel.SMS}:
        raise ValidationError({"channel": [_("只有扫码、评价器和短信评价使用评价链接。")]})
    if not policy.can(actor, Action.CHANGE, case):
        raise NotPermitted(Action.CHANGE)
    _check_can_be_rated(case, channel)
    raw = secrets.token_urlsafe(24)
    with transaction.atomic(), acting_as(actor):
        token = EvaluationToken.objects.create(
            digest=_digest(raw),
            channel=channel,
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=TOKEN_DAYS),
            **_case_filter(case),
        )
    return token, raw


def token_get(raw: str) -> EvaluationToken:
    """The live token for this link; a used, expired or unknown one answers the same error."""
    token = (
        EvaluationToken.objects.select_related(
            "ticket__item", "ticket__point", "request__type", "request__enterprise"
        )
        .filter(digest=_digest(raw or ""), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None:
        raise ValidationError(_("评价链接无效、已使用或已过期。"))
    return token


def token_rate(*, raw: str, rating: Rating, source: str = "") -> Evaluation:
    """The applicant rates through the link, without an account; the link works once."""
    token = token_get(raw)
    case: Case = token.ticket if token.ticket_id else token.request  # type: ignore[assignment]
    with transaction.atomic():
        used = EvaluationToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:  # the same link submitted twice at once
            raise ValidationError(_("评价链接无效、已使用或已过期。"))
        return _give(case=case, channel=token.channel, rating=rating, source=source)


def evaluation_give_online(
    *, actor: Any, case: Any, rating: Rating, source: str = ""
) -> Evaluation:
    """The applicant rates their own case from their account (网上评价)."""
    case = _case_of(case)
    person_id = _matched(case).get("person_id")
    linked = getattr(getattr(actor, "person", None), "pk", None)
    if person_id is None or linked != person_id:
        raise NotPermitted(Action.CHANGE)
    with transaction.atomic(), acting_as(actor):
        return _give(case=case, channel=EvalChannel.ONLINE, rating=rating, source=source)


# --- bad reviews: the "1、5、15" rule --------------------------------------------------------------
def rectification_move(
    *,
    actor: Any,
    rectification: Rectification,
    to_status: str,
    note: str = "",
    complex: bool | None = None,
    revisit_level: Any = None,
    at: datetime | None = None,
) -> Rectification:
    """Contact the person (and decide simple or complex), fix, and the second return visit."""
    if not policy.can(actor, Action.CHANGE, rectification):
        raise NotPermitted(Action.CHANGE)
    at = at or timezone.now()
    if at > timezone.now():
        raise ValidationError({"at": [_("时间不能晚于现在。")]})
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(Rectification, [rectification.pk]),
    ):
        rect = Rectification.objects.select_for_update().get(pk=rectification.pk)
        if to_status not in RECTIFICATION_TRANSITIONS.get(rect.status, frozenset()):
            raise IllegalTransition(
                _("整改当前为“%(now)s”，不能改为“%(to)s”。")
                % {
                    "now": RectificationStatus(rect.status).label,
                    "to": RectificationStatus(to_status).label
                    if to_status in RectificationStatus.values
                    else to_status,
                }
            )
        note = (note or "").strip()
        if len(note) < 2:
            raise ValidationError({"note": [_("请填写联系、整改或回访的情况。")]})
        if at < rect.evaluation.given_at:
            raise ValidationError({"at": [_("时间不能早于评价时间。")]})
        given_day = timezone.localtime(rect.evaluation.given_at).date()
        if to_status == RectificationStatus.CONTACTED:
            rect.contacted_at = at
            rect.complex = bool(complex)
            days = COMPLEX_FIX_WORKDAYS if rect.complex else SIMPLE_FIX_WORKDAYS
            rect.fix_due = add_workdays(given_day, days)
        elif to_status == RectificationStatus.FIXED:
            rect.fixed_at = at
        elif to_status == RectificationStatus.REVISITED:
            level = _whole(revisit_level)
            if level not in Level.values:
                raise ValidationError({"revisit_level": [_("请记录办事人对整改的评价。")]})
            rect.revisit_level = level
            rect.revisited_at = at
        if rect.handler_id is None:
            rect.handler = actor
        RectificationStep.objects.create(
            rectification=rect,
            from_status=rect.status,
            to_status=to_status,
            actor=actor,
            at=at,
            note=note[:500],
        )
        rect.status = to_status
        rect.save()
    return rect


# --- appeals ------------------------------------------------------------------------------------
def appeal_file(*, actor: Any, evaluation: Evaluation, reason: str) -> Appeal:
    """The unit asks for a malicious or mistaken bad review to be reviewed (申诉复核)."""
    if not policy.can_in_org(actor, Appeal, Action.ADD, evaluation.org_unit):
        raise NotPermitted(Action.ADD)
    if evaluation.level not in BAD_LEVELS:
        raise ValidationError(_("只有差评可以申诉。"))
    if Appeal.objects.filter(evaluation=evaluation).exists():
        raise ValidationError(_("该评价已申诉过，不能重复申诉。"))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": [_("请写明申诉理由（至少5个字）。")]})
    with transaction.atomic(), acting_as(actor):
        return Appeal.objects.create(
            evaluation=evaluation,
            org_unit_id=evaluation.org_unit_id,
            reason=reason[:500],
            filed_by=actor,
        )


def appeal_decide(*, actor: Any, appeal: Appeal, upheld: bool, note: str) -> Appeal:
    """An administrator decides; an upheld appeal takes the review out of every figure."""
    if not policy.can(actor, Action.CHANGE, appeal):
        raise NotPermitted(Action.CHANGE)
    if appeal.filed_by_id == actor.pk:
        raise ValidationError(_("申诉人不能复核自己的申诉。"))
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": [_("请填写复核意见。")]})
    evaluation_id = appeal.evaluation_id
    rect_ids = list(
        Rectification.objects.filter(evaluation_id=evaluation_id).values_list("pk", flat=True)
    )
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(Evaluation, [evaluation_id]),
        figures.tracking(Rectification, rect_ids),
    ):
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.PENDING:
            raise ValidationError(_("该申诉已复核。"))
        locked.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note[:500]
        locked.save()
        if upheld:
            for rect in Rectification.objects.select_for_update().filter(
                pk__in=rect_ids, status__in=RECTIFICATION_OPEN
            ):
                RectificationStep.objects.create(
                    rectification=rect,
                    from_status=rect.status,
                    to_status=RectificationStatus.APPEALED,
                    actor=actor,
                    at=locked.decided_at,
                    note=note[:500],
                )
                rect.status = RectificationStatus.APPEALED
                rect.save()
    return locked


# --- notices and the deadline job ----------------------------------------------------------------
def _leaders_over(path: str) -> set[int]:
    rows = Membership.objects.filter(
        role=Role.SUBDISTRICT_LEADER, user__is_active=True
    ).values_list("user_id", "org_unit__path")
    return {uid for uid, at in rows if path.startswith(at)}


def _rect_url(rect: Rectification) -> str:
    from django.urls import reverse

    return reverse("evaluations_detail", args=[rect.evaluation_id])


def _notify_bad(rect_id: int) -> None:
    rect = Rectification.objects.select_related("org_unit", "evaluation").get(pk=rect_id)
    recipients = _leaders_over(rect.org_unit.path)
    if rect.handler_id:
        recipients.add(rect.handler_id)
    notification_send(
        user_ids=recipients,
        key=f"bad-review:{rect.pk}",
        message=_("收到差评：%(case)s，请在 %(due)s 前联系评价人。")
        % {"case": rect.evaluation.case_number, "due": rect.contact_due.isoformat()},
        url=_rect_url(rect),
    )


def overdue_q(today: date) -> Q:
    """An open rectification that missed a step: not contacted in time, or not fixed in time."""
    return Q(status__in=RECTIFICATION_OPEN) & (
        Q(contacted_at__isnull=True, contact_due__lt=today)
        | Q(fixed_at__isnull=True, fix_due__lt=today)
    )


def late_steps(rect: Rectification, today: date) -> list[str]:
    out = []
    if rect.contacted_at is None and rect.contact_due < today:
        out.append(str(_("未在1个工作日内联系")))
    if rect.fixed_at is None and rect.fix_due < today:
        out.append(str(_("未按期整改")))
    return out


def rectification_sla_check(*, today: date | None = None) -> int:
    """Escalate, once, each open rectification that missed its contact or fix deadline."""
    today = today or timezone.localdate()
    now = timezone.now()
    sent = 0
    late = (
        Rectification.objects.filter(status__in=RECTIFICATION_OPEN, escalated_at__isnull=True)
        .filter(overdue_q(today))
        .select_related("org_unit", "evaluation")
        .order_by("fix_due", "pk")
    )
    for rect in late:
        with transaction.atomic():
            marked = Rectification.objects.filter(pk=rect.pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not marked:
                continue
            recipients = _leaders_over(rect.org_unit.path)
            if rect.handler_id:
                recipients.add(rect.handler_id)
            sent += notification_send(
                user_ids=recipients,
                key=f"rectification-overdue:{rect.pk}",
                message=_("差评整改 %(case)s 已超时：%(steps)s，请督办。")
                % {
                    "case": rect.evaluation.case_number,
                    "steps": "、".join(late_steps(rect, today)),
                },
                url=_rect_url(rect),
            )
    return sent
