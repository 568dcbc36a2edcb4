"""Demo 好差评: evaluations of the demo's completed tickets and closed requests.

About a third of the completed tickets of each subdistrict are evaluated, through the window's
pad, QR codes, online, 12345 return calls and SMS, with levels drawn so that the 好评率 the
dashboard computes from these records lands above 99% (Shanghai published 99.96% for 2022's
real-name evaluations). Every bad review gets its rectification: the older ones contacted,
fixed (a few late) and revisited; the last month's still open. One appeal is upheld, one
rejected, one waits for the administrator. Inserted in bulk as the services would write
them; the roll-ups are rebuilt by the last demo step (`core.figures`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from jiedao.affairs.models import Ticket, TicketStatus
from jiedao.business.models import EnterpriseRequest
from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import OrgUnit
from jiedao.core.workdays import add_workdays
from jiedao.evaluations.models import (
    BAD_LEVELS,
    COMPLEX_FIX_WORKDAYS,
    CONTACT_WORKDAYS,
    RECTIFICATION_OPEN,
    SIMPLE_FIX_WORKDAYS,
    Appeal,
    AppealStatus,
    EvalChannel,
    Evaluation,
    Rectification,
    RectificationStatus,
    RectificationStep,
    indicators_for,
)

SHARE_EVALUATED = 0.35
# (channel, weight, hours after completion at most)
CHANNELS = [
    (EvalChannel.PAD, 40, 0.2),
    (EvalChannel.QR, 28, 6),
    (EvalChannel.ONLINE, 16, 72),
    (EvalChannel.HOTLINE, 11, 168),
    (EvalChannel.SMS, 5, 48),
]
# level weights per 10,000: 好评 99.4%, 基本满意 0.35%, 差评 0.25%
LEVELS = [(5, 8640), (4, 1300), (3, 35), (2, 15), (1, 10)]
COMMENTS_BAD = ["等候时间太长", "材料要求没有一次讲清楚", "窗口人员态度不耐烦", "系统故障跑了两次"]
COMMENTS_GOOD = ["", "", "", "办事很快", "工作人员很耐心", "一次就办好了", "指引很清楚"]


def _pick(rnd: Any, weighted: list[tuple[Any, int]]) -> Any:
    total = sum(w for _v, w in weighted)
    x = rnd.randrange(total)
    for value, w in weighted:
        if x < w:
            return value
        x -= w
    return weighted[-1][0]  # pragma: no cover


def _given(rnd: Any, done: Any, hours: float, now: datetime) -> datetime:
    return min(done + timedelta(minutes=rnd.randint(1, max(int(hours * 60), 2))), now)


@demo_step("evaluations.evaluations", order=100)
def demo_evaluations(ctx: DemoContext) -> None:
    rnd = ctx.random
    now = timezone.now()
    User = get_user_model()
    office = User.objects.filter(username="tmx_admin").first()
    admin = User.objects.filter(username="admin").first()
    for sub in OrgUnit.objects.filter(code__in=["TMX", "BZ"]).order_by("code"):
        if Evaluation.objects.filter(org_unit__path__startswith=sub.path).exists():
            ctx.out(f"    {sub.name}: evaluations already there")
            continue
        rows: list[Evaluation] = []
        tickets = (
            Ticket.objects.filter(
                org_unit__path__startswith=sub.path,
                status=TicketStatus.COMPLETED,
                completed_at__isnull=False,
            )
            .order_by("pk")
            .values_list(
                "pk",
                "org_unit_id",
                "item_id",
                "point_id",
                "handler_id",
                "applicant_person_id",
                "completed_at",
            )
        )
        for pk, org, item, point, handler, person, done in tickets.iterator():
            if rnd.random() >= SHARE_EVALUATED:
                continue
            channel = _pick(rnd, [(c, w) for c, w, _h in CHANNELS])
            hours = next(h for c, _w, h in CHANNELS if c == channel)
            rows.append(
                _row(
                    rnd,
                    channel,
                    org,
                    now,
                    _given(rnd, done, hours, now),
                    ticket_id=pk,
                    item_id=item,
                    point_id=point,
                    staff_id=handler,
                    person_id=person,
                )
            )
        requests = (
            EnterpriseRequest.objects.filter(
                org_unit__path__startswith=sub.path, resolved_at__isnull=False
            )
            .order_by("pk")
            .values_list(
                "pk",
                "org_unit_id",
                "type_id",
                "assigned_to_id",
                "enterprise__contact_id",
                "resolved_at",
            )
        )
        for pk, org, rtype, assignee, contact, done in requests.iterator():
            if rnd.random() >= 0.5:
                continue
            rows.append(
                _row(
                    rnd,
                    EvalChannel.ONLINE,
                    org,
                    now,
                    _given(rnd, done, 72, now),
                    request_id=pk,
                    request_type_id=rtype,
                    staff_id=assignee,
                    person_id=contact,
                )
            )
        Evaluation.objects.bulk_create(rows, batch_size=2000)
        bad = list(
            Evaluation.objects.filter(
                org_unit__path__startswith=sub.path, level__in=list(BAD_LEVELS)
            ).order_by("given_at", "pk")
        )
        _rectifications(rnd, bad, now)
        if sub.code == "TMX" and office is not None and admin is not None and len(bad) >= 3:
            _appeals(bad, office, admin, now)
        good = sum(1 for r in rows if r.level >= 4)
        ctx.out(f"    {sub.name}: {len(rows)} evaluations ({good} good), {len(bad)} bad reviews")


def _row(
    rnd: Any, channel: str, org: int, now: datetime, given: datetime, **case: Any
) -> Evaluation:
    level = _pick(rnd, LEVELS)
    scores = {}
    if channel != EvalChannel.HOTLINE and rnd.random() < 0.6:
        scores = {
            k: max(1, min(5, level + rnd.choice([0, 0, 0, 1, -1]))) for k in indicators_for(channel)
        }
    comment = rnd.choice(COMMENTS_BAD) if level <= 2 else rnd.choice(COMMENTS_GOOD)
    return Evaluation(
        org_unit_id=org,
        channel=channel,
        level=level,
        scores=scores,
        comment=comment,
        given_at=given,
        **case,
    )


def _rectifications(rnd: Any, bad: list[Evaluation], now: datetime) -> None:
    recent = now - timedelta(days=30)
    for evaluation in bad:
        day = timezone.localtime(evaluation.given_at).date()
        complex_ = rnd.random() < 0.25
        contact_due = add_workdays(day, CONTACT_WORKDAYS)
        fix_due = add_workdays(day, COMPLEX_FIX_WORKDAYS if complex_ else SIMPLE_FIX_WORKDAYS)
        rect = Rectification.objects.create(
            evaluation=evaluation,
            org_unit_id=evaluation.org_unit_id,
            contact_due=contact_due,
            fix_due=fix_due,
            handler_id=evaluation.staff_id,
        )
        steps = [(RectificationStatus.OPEN, evaluation.given_at, "")]
        if evaluation.given_at < recent:
            contacted = evaluation.given_at + timedelta(hours=rnd.randint(1, 20))
            late = rnd.random() < 0.08
            fix_days = (fix_due - day).days + (rnd.randint(1, 4) if late else -rnd.randint(0, 2))
            fixed = max(
                timezone.localtime(evaluation.given_at).replace(hour=16)
                + timedelta(days=max(fix_days, 1)),
                contacted + timedelta(hours=2),
            )
            revisited = fixed + timedelta(days=rnd.randint(1, 3))
            rect.complex = complex_
            rect.contacted_at, rect.fixed_at = contacted, fixed
            rect.revisited_at, rect.revisit_level = revisited, rnd.choice([5, 4, 4, 3])
            rect.status = RectificationStatus.REVISITED
            rect.save()
            steps += [
                (RectificationStatus.CONTACTED, contacted, "已电话联系评价人，了解情况并致歉"),
                (RectificationStatus.FIXED, fixed, "已协调补办，问题已解决"),
                (RectificationStatus.REVISITED, revisited, "二次回访，评价人认可整改"),
            ]
        prev = ""
        for status, at, note in steps:
            RectificationStep.objects.create(
                rectification=rect,
                from_status=prev,
                to_status=status,
                at=at,
                note=note,
                actor_id=evaluation.staff_id if prev else None,
            )
            prev = status


def _appeals(bad: list[Evaluation], office: Any, admin: Any, now: datetime) -> None:
    upheld, rejected, pending = bad[-3], bad[-2], bad[-1]
    for evaluation, status, reason, note in (
        (
            upheld,
            AppealStatus.UPHELD,
            "评价人来电说明误点了“非常不满意”，并已重新表示满意",
            "核实为误评，不计入统计",
        ),
        (
            rejected,
            AppealStatus.REJECTED,
            "办事人对政策规定不满，非窗口服务问题",
            "评价针对办理时长，属实",
        ),
        (pending, AppealStatus.PENDING, "同一号码短时间内多次差评，疑似恶意评价", ""),
    ):
        decided = status != AppealStatus.PENDING
        Appeal.objects.create(
            evaluation=evaluation,
            org_unit_id=evaluation.org_unit_id,
            reason=reason,
            filed_by=office,
            status=status,
            decided_by=admin if decided else None,
            decided_at=min(evaluation.given_at + timedelta(days=3), now) if decided else None,
            decision_note=note,
        )
        if status == AppealStatus.UPHELD:
            Rectification.objects.filter(
                evaluation=evaluation, status__in=list(RECTIFICATION_OPEN)
            ).update(status=RectificationStatus.APPEALED)
