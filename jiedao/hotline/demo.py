"""Demo data of the 12345 module: the dispatch catalogue, and thirteen months of work orders for
天目西路街道 (and some for 北站街道) walked through every step with historical times.

The orders are simulated step by step (dispatch, sign, contact, handle, reply, return visit,
assessment) with the deadlines the services compute (`reply_due_for`, `contact_due_for`,
`warning_due_for`), cut at the present moment, and bulk-inserted as the rows the services would
write; the last demo step (`core.figures`) rebuilds the roll-ups from them. The three rates are
not typed anywhere: they come out of the shares below (late contacts, unsatisfied visits, …),
about 96–98% each, as `figures.order_rates` counts them from the records.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.core import pii
from jiedao.core.demo import DemoContext, demo_step, fake_mobile
from jiedao.core.models import OrgKind, OrgUnit
from jiedao.core.workdays import add_workdays
from jiedao.hotline.figures import order_rates
from jiedao.hotline.models import (
    Category,
    CategoryKind,
    OrderChannel,
    OrderStatus,
    OrderTransition,
    ReturnVisit,
    Review,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    Urgency,
    WorkOrder,
)
from jiedao.hotline.services import (
    WARNING_WORKDAYS,
    contact_due_for,
    end_of_day,
    reply_due_for,
    warning_due_for,
)

S = OrderStatus
K = CategoryKind

# code, name, kind, working days, hours, extension needs approval, send-back allowed
# After a Jing'an subdistrict's rules: consultations and suggestions in 1 working day,
# supervision in 3, ordinary requests and complaints in 5, complex matters in 15 (extending
# them needs approval), emergencies in hours; "原则上不准退单" except matters outside it.
CATEGORIES: list[tuple[str, str, str, int, int | None, bool, bool]] = [
    ("consult", "政策咨询", K.CONSULTATION, 1, None, False, False),
    ("suggest", "意见建议", K.SUGGESTION, 1, None, False, False),
    ("supervise", "督办件", K.SUPERVISION, 3, None, True, False),
    ("help", "生活求助", K.REQUEST, 5, None, False, False),
    ("facility", "设施报修", K.REQUEST, 5, None, False, False),
    ("noise", "噪音扰民", K.COMPLAINT, 5, None, False, False),
    ("property", "物业服务", K.COMPLAINT, 5, None, False, False),
    ("environment", "市容环境", K.COMPLAINT, 5, None, False, False),
    ("parking", "违章停车", K.COMPLAINT, 5, None, False, False),
    ("complex", "复杂疑难", K.COMPLEX, 15, None, True, False),
    ("emergency", "紧急求助", K.EMERGENCY, 1, 2, True, False),
    ("outside", "非本辖区事项", K.REQUEST, 5, None, False, True),
]
WEIGHTS = {
    "consult": 14,
    "suggest": 5,
    "supervise": 3,
    "help": 10,
    "facility": 14,
    "noise": 12,
    "property": 16,
    "environment": 10,
    "parking": 9,
    "complex": 3,
    "emergency": 1.5,
    "outside": 2.5,
}
TEXTS = {
    "consult": [
        "咨询退休人员医保报销政策。",
        "咨询居住证办理所需材料。",
        "咨询老旧小区加装电梯补贴。",
    ],
    "suggest": ["建议在小区门口增设非机动车停放点。", "建议延长社区食堂供餐时间。"],
    "supervise": ["区热线督办：此前反映的楼道积水问题尚未解决。", "督办：路灯损坏多日未修。"],
    "help": ["独居老人家中水管漏水，请求帮助联系维修。", "行动不便，请求上门协助办理证件。"],
    "facility": ["楼道照明灯损坏。", "小区健身器材损坏存在安全隐患。", "雨水井盖松动。"],
    "noise": ["夜间施工噪音扰民。", "楼下商铺音响声音过大。", "广场舞音乐音量过大。"],
    "property": ["物业不及时清运垃圾。", "电梯频繁故障，物业维修不及时。", "小区门禁损坏。"],
    "environment": ["人行道上堆放建筑垃圾。", "沿街商铺占道经营。", "绿化带内有大量垃圾。"],
    "parking": ["车辆长期停放在消防通道。", "共享单车堵塞人行道。"],
    "complex": ["房屋漏水涉及多户业主，协调不成。", "历史遗留的违章搭建影响采光。"],
    "emergency": ["燃气味道很重，请求紧急处置。", "高空坠物隐患，窗框松动。"],
    "outside": ["反映的地址位于相邻街道辖区。", "反映的是市管道路的问题。"],
}
ROADS = ["天目西路", "天目中路", "恒丰路", "梅园路", "长安路", "大统路", "共和新路", "光复路",
         "裕通路", "汉中路", "西藏北路", "海宁路", "中兴路", "交通路"]  # fmt: skip

MONTHS = 13  # from the first day of the month a year ago (and one more) to now
VOLUME = {"TMX": 2_700, "BZ": 420}
NUMBER_OFFSET = {"TMX": 0, "BZ": 50_000}  # hotline numbers of the two never collide
CENTRE = {"TMX": "tmx_hotline", "BZ": "bz_admin"}
REVIEWER = {"TMX": "tmx_admin", "BZ": None}
WORKERS = {"TMX-HX": "hx_worker"}
# The shares the rates come from.
REPEAT_CALLS = 0.035  # the same caller about the same matter while it is open: merged
STAFF_MERGES = 0.006  # a neighbour calling about the same matter: merged by the centre
REASSIGN = 0.02  # a unit asks to give the order to another committee
REASSIGN_APPROVED = 0.8
SEND_BACK = 0.6  # of the orders whose category allows it
SEND_BACK_APPROVED = 0.85
LATE_CONTACT = 0.028
EXTEND_COMPLEX = 0.35
EXTEND_OTHER = 0.01
LATE_REPLY = 0.025
FIRST_UNSATISFIED = 0.055
STILL_UNSATISFIED = 0.45  # of warning orders, at the second visit
BASIC = 0.11
UNRESOLVED_WHEN_SATISFIED = 0.012
UNRESOLVED_WHEN_UNSATISFIED = 0.75
LATE_WARNING = 0.08
ASSISTED = 0.08


def _minutes(rnd: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rnd.uniform(low, high))


def _between(rnd: random.Random, start: datetime, end: datetime, low: float = 0.1) -> datetime:
    """A moment in (start, end), at least a minute after start."""
    span = max((end - start).total_seconds(), 120.0)
    return start + timedelta(seconds=max(60.0, span * rnd.uniform(low, 0.9)))


@dataclass
class _Order:
    sub: OrgUnit
    category: Category
    received_at: datetime
    caller: tuple[str, str]  # name, phone
    address: str
    lon: Decimal | None
    lat: Decimal | None
    text: str
    urgency: str
    unit: OrgUnit | None = None
    status: str = S.RECEIVED
    fields: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, str, datetime, int | None, str]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    assisting: list[OrgUnit] = field(default_factory=list)
    merged_into: _Order | None = None
    staff_merge: bool = False
    closed_at: datetime | None = None  # assessed or sent back
    number: str = ""
    hotline_number: str = ""
    row: WorkOrder | None = None

    def step(self, to: str, at: datetime, actor: int | None, note: str = "") -> None:
        self.steps.append((self.status if self.steps else "", to, at, actor, note[:1000]))
        self.status = to


class _Builder:
    def __init__(self, ctx: DemoContext, sub: OrgUnit, now: datetime) -> None:
        self.rnd = ctx.random
        self.fake = ctx.fake
        self.sub = sub
        self.now = now
        self.units = list(
            OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=sub.path).order_by(
                "path"
            )
        )
        self.unit_weights = [self.rnd.uniform(0.6, 1.6) for _ in self.units]
        self.categories = {c.code: c for c in Category.objects.all()}
        users = {u.username: u.pk for u in User.objects.filter(username__in=_usernames())}
        self.centre = users.get(CENTRE[sub.code])
        reviewer = REVIEWER.get(sub.code)
        self.reviewer = users.get(reviewer) if reviewer else None
        self.workers = {code: users.get(name) for code, name in WORKERS.items()}
        self.callers = [
            (self.fake.name(), fake_mobile(self.rnd)) for _ in range(int(VOLUME[sub.code] * 1.1))
        ]

    # --- drawing ---------------------------------------------------------------------------
    def _place(self, unit: OrgUnit) -> tuple[str, Decimal | None, Decimal | None]:
        address = f"{self.rnd.choice(ROADS)}{self.rnd.randint(1, 999)}号"
        ring = (unit.boundary or {}).get("coordinates", [[]])[0]
        if not ring or self.rnd.random() < 0.25:
            return address, None, None
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        lon = Decimal(str(round(self.rnd.uniform(min(xs), max(xs)), 6)))
        lat = Decimal(str(round(self.rnd.uniform(min(ys), max(ys)), 6)))
        return address, lon, lat

    def _unit(self, other_than: OrgUnit | None = None) -> OrgUnit:
        while True:
            unit = self.rnd.choices(self.units, weights=self.unit_weights)[0]
            if unit != other_than or len(self.units) == 1:
                return unit

    def _worker(self, unit: OrgUnit | None) -> int | None:
        return self.workers.get(unit.code) if unit is not None else None

    def new(self, received_at: datetime, code: str) -> _Order:
        category = self.categories[code]
        unit = self._unit()
        address, lon, lat = self._place(unit)
        urgent = code == "emergency" or self.rnd.random() < 0.04
        order = _Order(
            sub=self.sub,
            category=category,
            received_at=received_at,
            caller=self.rnd.choice(self.callers),
            address=address,
            lon=lon,
            lat=lat,
            text=self.rnd.choice(TEXTS[code]),
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        )
        order.fields["planned_unit"] = unit
        order.step(S.RECEIVED, received_at, None, "平台推送：静安区12345市民服务热线")
        return order

    # --- the life of one order -------------------------------------------------------------
    def walk(self, o: _Order) -> None:
        rnd, now, f = self.rnd, self.now, o.fields
        emergency = bool(o.category.deadline_hours)
        t = o.received_at + (_minutes(rnd, 5, 20) if emergency else _minutes(rnd, 10, 150))
        if t > now:
            return
        unit: OrgUnit = f.pop("planned_unit")
        o.unit = unit
        f["dispatched_at"] = t
        f["reply_due"] = reply_due_for(o.category, t)
        o.step(S.DISPATCHED, t, self.centre, f"派至 {unit.name}")
        if rnd.random() < ASSISTED:
            o.assisting = [self._unit(other_than=unit)]
        # An objection before signing: another committee, or (where allowed) not ours at all.
        wants_back = o.category.send_back_allowed and rnd.random() < SEND_BACK
        if (wants_back or rnd.random() < REASSIGN) and self.reviewer is not None:
            asked = t + _minutes(rnd, 20, 180)
            decided = asked + _minutes(rnd, 30, 360)
            if asked > now:
                return
            new_unit = None if wants_back else self._unit(other_than=unit)
            review: dict[str, Any] = {
                "kind": ReviewKind.SEND_BACK if wants_back else ReviewKind.REASSIGN,
                "reason": "经核实，该地址不属于本街道辖区。"
                if wants_back
                else "经核实，该地址属于相邻居委会。",
                "requested_by": self._worker(unit) or self.centre,
                "requested_at": asked,
                "lead_unit": new_unit,
            }
            o.reviews.append(review)
            if decided > now:
                return  # still waiting for the reviewer
            approve = rnd.random() < (SEND_BACK_APPROVED if wants_back else REASSIGN_APPROVED)
            review.update(
                status=ReviewStatus.APPROVED if approve else ReviewStatus.REFUSED,
                decided_by=self.reviewer,
                decided_at=decided,
                decision_note="" if approve else "经核查属本单位职责，请继续办理。",
            )
            t = decided
            if approve and wants_back:
                o.step(S.SENT_BACK, t, self.reviewer, f"退单：{review['reason']}")
                o.closed_at = t
                return
            if approve:
                assert new_unit is not None
                o.step(
                    S.DISPATCHED,
                    t,
                    self.reviewer,
                    f"改派：{unit.name} → {new_unit.name}；{review['reason']}",
                )
                unit = o.unit = new_unit
                f["dispatched_at"] = t
        worker = self._worker(unit)
        t = t + (_minutes(rnd, 3, 15) if emergency else _minutes(rnd, 10, 200))
        if t > now:
            return
        f["signed_at"] = t
        f["contact_due"] = contact_due_for(t, f["reply_due"])
        o.step(S.SIGNED, t, worker)
        if rnd.random() < LATE_CONTACT:
            t = f["contact_due"] + _minutes(rnd, 30, 1800)
        else:
            t = _between(rnd, t, min(f["contact_due"], t + timedelta(hours=20)), low=0.05)
        if t > now:
            return
        f["contacted_at"] = t
        o.step(S.CONTACTED, t, worker, "已电话联系来电人，确认诉求。")
        t = t + _minutes(rnd, 5, 90 if emergency else 240)
        if t > now:
            return
        f["handling_at"] = t
        o.step(S.HANDLING, t, worker)
        extend = o.category.code == "complex" and rnd.random() < EXTEND_COMPLEX
        if not emergency and (extend or rnd.random() < EXTEND_OTHER):
            needs = o.category.extension_needs_approval
            if not needs or self.reviewer is not None:
                days = rnd.randint(3, 10)
                asked = t + _minutes(rnd, 60, 600)
                if asked > now:
                    return
                review = {
                    "kind": ReviewKind.EXTENSION,
                    "reason": "涉及多方协调，需延长办理时间。",
                    "requested_by": worker or self.centre,
                    "requested_at": asked,
                    "extra_days": days,
                }
                o.reviews.append(review)
                decided = asked + (_minutes(rnd, 60, 480) if needs else timedelta(0))
                if decided > now:
                    return  # waiting for the reviewer
                review.update(
                    status=ReviewStatus.APPROVED,
                    decided_by=self.reviewer if needs else None,
                    decided_at=decided,
                    decision_note="" if needs else "该类别延期无需审核，已自动同意。",
                )
                due = timezone.localtime(f["reply_due"]).date()
                f["reply_due"] = end_of_day(add_workdays(due, days))
                f["extended_days"] = days
                t = decided
        if rnd.random() < LATE_REPLY:
            t = f["reply_due"] + _minutes(rnd, 120, 3 * 24 * 60)
        else:
            t = _between(rnd, t, f["reply_due"], low=0.15)
        if t > now:
            return
        f["replied_at"] = t
        f["reply"] = "已处理完毕，并向来电人反馈办理结果。"
        o.step(S.REPLIED, t, worker, f["reply"])
        self._visit(o, t, first=True)

    def _visit(self, o: _Order, after: datetime, *, first: bool) -> None:
        rnd, now, f = self.rnd, self.now, o.fields
        t = after + _minutes(rnd, 120, 2 * 24 * 60)
        if t > now:
            return
        share = FIRST_UNSATISFIED if first else STILL_UNSATISFIED
        if rnd.random() < share:
            level = Satisfaction.UNSATISFIED
            resolved = rnd.random() >= UNRESOLVED_WHEN_UNSATISFIED
        else:
            level = Satisfaction.BASIC if rnd.random() < BASIC else Satisfaction.SATISFIED
            resolved = rnd.random() >= UNRESOLVED_WHEN_SATISFIED
        o.visits.append(
            {
                "round": len(o.visits) + 1,
                "satisfaction": level,
                "resolved": resolved,
                "at": t,
                "by": self.centre,
            }
        )
        f.update(visited_at=t, satisfaction=level, resolved=resolved)
        outcome = "已解决" if resolved else "未解决"
        o.step(S.VISITED, t, self.centre, f"{Satisfaction(level).label}，{outcome}")
        if first and level == Satisfaction.UNSATISFIED:
            f.update(warning=True, warning_at=t, warning_due=warning_due_for(t))
            o.step(
                S.HANDLING,
                t,
                self.centre,
                f"回访不满意，转为预警工单，须在{WARNING_WORKDAYS}个工作日内重新办理。",
            )
            if rnd.random() < LATE_WARNING:
                again = f["warning_due"] + _minutes(rnd, 120, 2 * 24 * 60)
            else:
                again = _between(rnd, t, f["warning_due"], low=0.2)
            if again > now:
                return
            f["warning_replied_at"] = again
            f["reply"] = "已重新办理，并再次向来电人反馈。"
            o.step(S.REPLIED, again, self._worker(o.unit), f["reply"])
            self._visit(o, again, first=False)
            return
        done = t + _minutes(rnd, 24 * 60, 5 * 24 * 60)
        if done > now:
            return
        f["assessed_at"] = done
        o.closed_at = done
        o.step(S.ASSESSED, done, self.centre)

    def merge(self, o: _Order, into: _Order, *, by_staff: bool) -> None:
        """Merge a call into an open order (its note names the number once numbers are given)."""
        o.merged_into = into
        o.staff_merge = by_staff
        o.fields.pop("planned_unit", None)
        at = min(o.received_at + _minutes(self.rnd, 10, 90), self.now) if by_staff else None
        o.step(S.MERGED, at or o.received_at, self.centre if by_staff else None)
        o.closed_at = o.received_at


def _usernames() -> list[str]:
    return [*CENTRE.values(), *(r for r in REVIEWER.values() if r), *WORKERS.values()]


def _is_open(o: _Order, at: datetime) -> bool:
    return (
        o.merged_into is None and o.received_at <= at and (o.closed_at is None or o.closed_at > at)
    )


@demo_step("hotline.catalogue", order=110)
def demo_catalogue(ctx: DemoContext) -> None:
    """The dispatch catalogue (派单目录), keyed by code: a second run changes nothing."""
    made = 0
    for n, (code, name, kind, days, hours, approval, send_back) in enumerate(CATEGORIES):
        _obj, created = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "deadline_days": days,
                "deadline_hours": hours,
                "extension_needs_approval": approval,
                "send_back_allowed": send_back,
                "order": n,
            },
        )
        made += created
    ctx.out(f"    {made} categories added ({len(CATEGORIES)} in the catalogue)")


@demo_step("hotline.orders", order=111)
def demo_orders(ctx: DemoContext) -> None:
    """Thirteen months of orders per subdistrict; one that has orders already is left alone."""
    now = timezone.now()
    today = timezone.localdate(now)
    start = _months_before(today.replace(day=1), MONTHS - 1)
    for code, volume in VOLUME.items():
        sub = OrgUnit.objects.filter(code=code, kind=OrgKind.SUBDISTRICT).first()
        if sub is None:
            continue
        if WorkOrder.objects.filter(subdistrict=sub).exists():
            ctx.out(f"    {sub.name}: orders already there")
            continue
        builder = _Builder(ctx, sub, now)
        if not builder.units or len(builder.categories) < len(CATEGORIES):
            continue
        orders = _simulate(builder, start, now, volume)
        _insert(sub, orders, NUMBER_OFFSET[code])
        qs = WorkOrder.objects.filter(subdistrict=sub)
        r = order_rates(qs, now=now)
        statuses = Counter(o.status for o in orders)
        ctx.out(
            f"    {sub.name}: {len(orders)} orders ({statuses[S.MERGED]} merged, "
            f"{statuses[S.SENT_BACK]} sent back, {r.warnings} warning orders); "
            f"response {r.response_rate}%, resolution {r.resolution_rate}%, "
            f"satisfaction {r.satisfaction_rate}%, score {r.score()}"
        )


def _months_before(first: date, n: int) -> date:
    year, month = first.year, first.month - n
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _simulate(builder: _Builder, start: date, now: datetime, volume: int) -> list[_Order]:
    rnd = builder.rnd
    begin = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    seconds = (now - begin).total_seconds()
    moments = sorted(begin + timedelta(seconds=rnd.uniform(0, seconds)) for _ in range(volume))
    codes = list(WEIGHTS)
    weights = [WEIGHTS[c] for c in codes]
    orders: list[_Order] = []
    recent: list[_Order] = []
    for at in moments:
        at = at.replace(microsecond=0)
        recent = [o for o in recent if at - o.received_at < timedelta(days=12)]
        roll = rnd.random()
        open_ = [o for o in recent if _is_open(o, at)]
        if open_ and roll < REPEAT_CALLS + STAFF_MERGES:
            first = rnd.choice(open_)
            o = builder.new(at, first.category.code)
            o.text, o.address, o.lon, o.lat = first.text, first.address, first.lon, first.lat
            staff = roll >= REPEAT_CALLS
            if not staff:
                o.caller = first.caller
            else:
                o.caller = _fresh_caller(builder, o.category, at, orders)
            builder.merge(o, first, by_staff=staff)
            orders.append(o)
            continue
        code = rnd.choices(codes, weights=weights)[0]
        o = builder.new(at, code)
        o.caller = _fresh_caller(builder, o.category, at, orders)
        builder.walk(o)
        orders.append(o)
        recent.append(o)
    return orders


def _fresh_caller(
    builder: _Builder, category: Category, at: datetime, orders: list[_Order]
) -> tuple[str, str]:
    """A caller with no open order of this category now (else the call would be a repeat)."""
    busy = {o.caller[1] for o in orders[-400:] if o.category.pk == category.pk and _is_open(o, at)}
    while True:
        caller = builder.rnd.choice(builder.callers)
        if caller[1] not in busy:
            return caller


def _insert(sub: OrgUnit, orders: list[_Order], offset: int) -> None:
    serials: Counter[int] = Counter()
    daily: Counter[date] = Counter()
    for o in orders:  # already in the order received
        local = timezone.localtime(o.received_at)
        serials[local.year] += 1
        daily[local.date()] += 1
        o.number = f"{sub.code}-RX{local.year}-{serials[local.year]:06d}"
        o.hotline_number = f"{local:%Y%m%d}{offset + daily[local.date()]:05d}"
    rows = []
    for o in orders:
        name, phone = o.caller
        f = o.fields
        row = WorkOrder(
            subdistrict=sub,
            org_unit=o.unit or sub,
            number=o.number,
            source="12345",
            hotline_number=o.hotline_number,
            channel=OrderChannel.PUSH,
            category=o.category,
            urgency=o.urgency,
            caller_name=name,
            phone_encrypted=pii.encrypt(phone),
            phone_hash=pii.blind_index(phone),
            phone_masked=pii.mask_phone(phone),
            address=o.address,
            longitude=o.lon,
            latitude=o.lat,
            text=o.text,
            status=o.status,
            received_at=o.received_at,
            **{k: v for k, v in f.items() if k != "planned_unit"},
        )
        o.row = row
        rows.append(row)
    WorkOrder.objects.bulk_create(rows, batch_size=1000)
    merged = [o for o in orders if o.merged_into is not None]
    for o in merged:
        assert o.row is not None and o.merged_into is not None and o.merged_into.row is not None
        o.row.merged_into = o.merged_into.row
        frm, to, at, actor, _note = o.steps[-1]
        note = (
            f"同一事项（邻居来电），人工合并至 {o.merged_into.number}"
            if o.staff_merge
            else f"重复来电（同一来电号码、同一类别），自动合并至 {o.merged_into.number}。"
        )
        o.steps[-1] = (frm, to, at, actor, note)
    WorkOrder.objects.bulk_update(
        [o.row for o in merged if o.row], ["merged_into"], batch_size=1000
    )
    OrderTransition.objects.bulk_create(
        (
            OrderTransition(
                order=o.row, from_status=frm, to_status=to, actor_id=actor, at=at, note=note
            )
            for o in orders
            for frm, to, at, actor, note in o.steps
        ),
        batch_size=2000,
    )
    ReturnVisit.objects.bulk_create(
        (
            ReturnVisit(
                order=o.row,
                round=v["round"],
                satisfaction=v["satisfaction"],
                resolved=v["resolved"],
                visited_by_id=v["by"],
                visited_at=v["at"],
            )
            for o in orders
            for v in o.visits
        ),
        batch_size=2000,
    )
    Review.objects.bulk_create(
        (
            Review(
                order=o.row,
                kind=r["kind"],
                status=r.get("status", ReviewStatus.PENDING),
                reason=r["reason"],
                requested_by_id=r["requested_by"],
                requested_at=r["requested_at"],
                lead_unit=r.get("lead_unit"),
                extra_days=r.get("extra_days"),
                decided_by_id=r.get("decided_by"),
                decided_at=r.get("decided_at"),
                decision_note=r.get("decision_note", ""),
            )
            for o in orders
            for r in o.reviews
            if r["requested_by"] is not None
        ),
        batch_size=1000,
    )
    through = WorkOrder.assisting_units.through
    through.objects.bulk_create(
        (
            through(workorder_id=o.row.pk, orgunit_id=u.pk)
            for o in orders
            if o.row is not None and o.unit is not None
            for u in o.assisting
        ),
        batch_size=2000,
    )
