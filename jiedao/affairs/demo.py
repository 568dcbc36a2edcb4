"""Demo data of government services: the catalogue, the 1+3+12+X network, five years of
tickets with trips, return visits and door-to-door help (all seeded, idempotent)."""

from __future__ import annotations

import os
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.affairs.models import (
    OPEN_STATUSES,
    RETURN_VISIT_QUESTIONS,
    Channel,
    DoorToDoorRequest,
    PointKind,
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
from jiedao.affairs.selectors import DUE_SOON_WORKDAYS, rates_of
from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import OrgKind, OrgUnit, Person
from jiedao.core.workdays import add_workdays, is_workday

ELDER_ATTRS: list[dict[str, Any]] = [
    {
        "code": "mobility",
        "label": "行动能力",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "normal", "name": "正常"},
            {"key": "limited", "name": "行动不便"},
            {"key": "bedridden", "name": "卧床"},
        ],
    },
]
# code, name, English name, group, working-day limit, online, door-to-door, materials, attrs
CATALOGUE: list[tuple[str, str, str, str, int, bool, bool, list[str], list[dict[str, Any]]]] = [
    (
        "JZZ-01",
        "居住证办理",
        "Residence permit",
        "户籍与居住",
        7,
        True,
        False,
        ["身份证", "租赁合同或产权证明", "照片"],
        [
            {
                "code": "housing",
                "label": "居住类型",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "rent", "name": "租赁"}, {"key": "own", "name": "自有"}],
            }
        ],
    ),
    (
        "HJ-02",
        "户籍证明开具",
        "Household registration certificate",
        "户籍与居住",
        1,
        True,
        False,
        ["身份证", "户口簿"],
        [],
    ),
    (
        "JY-01",
        "就业登记",
        "Employment registration",
        "就业与社保",
        5,
        True,
        False,
        ["身份证", "劳动合同"],
        [],
    ),
    (
        "JY-02",
        "失业登记",
        "Unemployment registration",
        "就业与社保",
        5,
        True,
        False,
        ["身份证", "解除劳动合同证明"],
        [],
    ),
    (
        "JY-03",
        "灵活就业登记",
        "Flexible employment registration",
        "就业与社保",
        5,
        True,
        False,
        ["身份证"],
        [],
    ),
    (
        "SB-01",
        "城乡居民医保参保登记",
        "Resident medical insurance enrolment",
        "就业与社保",
        3,
        True,
        False,
        ["身份证", "户口簿"],
        [],
    ),
    (
        "SB-02",
        "社保卡申领",
        "Social security card",
        "就业与社保",
        10,
        True,
        False,
        ["身份证", "照片"],
        [],
    ),
    (
        "TX-01",
        "退休手续办理",
        "Retirement formalities",
        "就业与社保",
        15,
        False,
        False,
        ["身份证", "档案", "社保缴费记录"],
        [
            {
                "code": "retire_date",
                "label": "退休日期",
                "datatype": "datetime",
                "required": True,
                "values": [],
            }
        ],
    ),
    (
        "YL-01",
        "老年综合津贴申请",
        "Senior citizens' allowance",
        "养老服务",
        10,
        True,
        True,
        ["身份证", "银行卡"],
        ELDER_ATTRS,
    ),
    (
        "YL-02",
        "敬老卡申领",
        "Senior citizen card",
        "养老服务",
        10,
        True,
        True,
        ["身份证", "照片"],
        ELDER_ATTRS,
    ),
    (
        "YL-03",
        "长期护理保险评估申请",
        "Long-term care insurance assessment",
        "养老服务",
        20,
        True,
        True,
        ["身份证", "医保卡", "病历资料"],
        ELDER_ATTRS,
    ),
    (
        "YL-04",
        "居家养老服务申请",
        "Home care service",
        "养老服务",
        15,
        False,
        True,
        ["身份证", "收入证明"],
        ELDER_ATTRS,
    ),
    (
        "CJ-01",
        "残疾人证申领",
        "Disability certificate",
        "社会救助",
        20,
        False,
        True,
        ["身份证", "户口簿", "照片", "医院诊断证明"],
        [],
    ),
    (
        "JZ-01",
        "最低生活保障申请",
        "Minimum living allowance",
        "社会救助",
        30,
        False,
        True,
        ["身份证", "户口簿", "家庭收入证明", "家庭财产申报"],
        [
            {
                "code": "household_size",
                "label": "家庭人口",
                "datatype": "number",
                "required": True,
                "values": [],
            }
        ],
    ),
    (
        "JZ-02",
        "临时救助申请",
        "Temporary assistance",
        "社会救助",
        10,
        False,
        True,
        ["身份证", "困难情况说明"],
        [],
    ),
    (
        "SY-01",
        "生育登记",
        "Birth registration",
        "卫生健康",
        1,
        True,
        False,
        ["夫妻双方身份证", "结婚证"],
        [],
    ),
    (
        "SY-02",
        "独生子女父母奖励申请",
        "Only-child parents' award",
        "卫生健康",
        10,
        True,
        False,
        ["身份证", "独生子女父母光荣证"],
        [],
    ),
    (
        "ZF-01",
        "廉租住房申请",
        "Low-rent housing",
        "住房保障",
        30,
        False,
        False,
        ["身份证", "户口簿", "收入证明", "住房情况证明"],
        [],
    ),
    (
        "MZ-01",
        "居民身份信息变更证明",
        "Change of personal details certificate",
        "民政事务",
        3,
        False,
        False,
        ["身份证", "相关证明"],
        [],
    ),
    (
        "MZ-02",
        "高龄老人营养补贴",
        "Nutrition allowance for the very old",
        "养老服务",
        10,
        True,
        True,
        ["身份证", "银行卡"],
        ELDER_ATTRS,
    ),
]


def _point(
    org: OrgUnit, kind: str, name: str, address: str, hours: str, lon: float, lat: float
) -> ServicePoint:
    point, _created = ServicePoint.objects.get_or_create(
        org_unit=org,
        name=name,
        defaults={
            "kind": kind,
            "address": address,
            "opening_hours": hours,
            "longitude": Decimal(f"{lon:.6f}"),
            "latitude": Decimal(f"{lat:.6f}"),
        },
    )
    return point


@demo_step("affairs.catalogue_and_network", order=60)
def demo_network(ctx: DemoContext) -> None:
    city = ctx.org("SH")
    items = []
    for code, name, name_en, group, days, online, door, materials, attrs in CATALOGUE:
        item, _created = ServiceItem.objects.get_or_create(
            code=code,
            defaults={
                "org_unit": city,
                "name": name,
                "name_en": name_en,
                "group": group,
                "time_limit_days": days,
                "online": online,
                "door_to_door": door,
                "materials": materials,
                "attributes": attrs,
            },
        )
        items.append(item)
    door_items = [i for i in items if i.door_to_door]
    # Tianmu West Road: 1 centre + 3 self-service stations + 12 help points + X door-to-door.
    tmx, south, north = ctx.org("TMX"), ctx.org("TMX-S"), ctx.org("TMX-N")
    centre = _point(
        tmx,
        PointKind.CENTRE,
        "天目西路街道社区事务受理服务中心",
        "天目中路",
        "周一至周六 9:00–17:00",
        121.4585,
        31.2462,
    )
    stations = [
        _point(
            south,
            PointKind.SELF_SERVICE,
            "恒丰路一网通办自助服务站",
            "恒丰路",
            "全天 24 小时",
            121.4530,
            31.2450,
        ),
        _point(
            south,
            PointKind.SELF_SERVICE,
            "天目西路一网通办自助服务站",
            "天目西路",
            "全天 24 小时",
            121.4600,
            31.2440,
        ),
        _point(
            north,
            PointKind.SELF_SERVICE,
            "共和新路一网通办自助服务站",
            "共和新路",
            "全天 24 小时",
            121.4620,
            31.2520,
        ),
    ]
    help_points = []
    for committee in OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=tmx.path
    ).order_by("code"):
        short = committee.name.removesuffix("居委会")
        help_points.append(
            _point(
                committee,
                PointKind.HELP_POINT,
                f"{short}静邻帮办点",
                f"{short}居委会活动室",
                "工作日 8:30–17:00",
                121.455,
                31.249,
            )
        )
    door_teams = [
        _point(
            north, PointKind.DOOR_TO_DOOR, "站北上门帮办队", "站北片区", "预约", 121.458, 31.252
        ),
        _point(
            south, PointKind.DOOR_TO_DOOR, "站南上门帮办队", "站南片区", "预约", 121.456, 31.245
        ),
    ]
    centre.items.add(*items)
    for station in stations:
        station.items.add(*[i for i in items if i.online])
    for point in help_points:
        point.items.add(*items)
    for team in door_teams:
        team.items.add(*door_items)
    # 北站街道: a smaller network, so that roll-ups and isolation have something to compare.
    bz = ctx.org("BZ")
    bz_centre = _point(
        bz,
        PointKind.CENTRE,
        "北站街道社区事务受理服务中心",
        "天潼路",
        "周一至周六 9:00–17:00",
        121.480,
        31.249,
    )
    bz_centre.items.add(*items)
    for committee in OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=bz.path
    ).order_by("code"):
        point = _point(
            committee,
            PointKind.HELP_POINT,
            f"{committee.name.removesuffix('居委会')}帮办点",
            committee.name,
            "工作日 8:30–17:00",
            121.48,
            31.25,
        )
        point.items.add(*items)
    ctx.out(
        f"    {ServicePoint.objects.filter(org_unit__path__startswith=tmx.path).count()} service points in 天目西路街道"
    )


# --- five years of tickets ----------------------------------------------------------------------
# `JIEDAO_DEMO_TICKET_SCALE` shrinks (or grows) the volume, e.g. 0.05 in tests.
TICKET_SCALE_ENV = "JIEDAO_DEMO_TICKET_SCALE"
TICKETS_FROM = date(2021, 12, 1)
TICKETS_PER_SUBDISTRICT = {"TMX": 30_000, "BZ": 2_000}
OVERDUE_OPEN = {"TMX": 10, "BZ": 3}
DUE_SOON_OPEN = {"TMX": 4, "BZ": 2}
CLERK_OF = {"TMX": "tmx_clerk", "BZ": "bz_admin"}
COMMITTEE_WORKERS = {"TMX-HX": "hx_worker"}
NORTH_AREA = "TMX-N"
# Shares of tickets, chosen so that the figures computed from the records look like the
# source: over 99% "只跑一次", most done within the legal limit.
RETURNED_SHARE = 0.010  # returned for missing materials (补正) among completed tickets
TWO_TRIP_SHARE = 0.006  # of completed tickets: came back in person with the materials
LATE_SHARE = 0.008
REJECTED_SHARE = 0.010
WITHDRAWN_SHARE = 0.005
COMPLAINED_SHARE = 0.003
VISIT_SHARE = 0.075  # sampled for a return visit; every late one is called too
CHANNEL_WEIGHTS = {
    Channel.WINDOW: 40,
    Channel.ONLINE: 24,
    Channel.HELP_POINT: 15,
    Channel.SELF_SERVICE: 12,
    Channel.PHONE: 5,
    Channel.DOOR_TO_DOOR: 4,
}
IN_PERSON = frozenset({Channel.WINDOW, Channel.HELP_POINT, Channel.SELF_SERVICE})
POPULARITY = {
    "JZZ-01": 8,
    "HJ-02": 6,
    "SB-01": 6,
    "SB-02": 5,
    "JY-01": 5,
    "JY-02": 3,
    "YL-02": 4,
    "YL-01": 3,
    "MZ-02": 3,
    "SY-01": 2,
    "JY-03": 2,
}
SATISFACTION_WEIGHTS = [(5, 70), (4, 22), (3, 5), (2, 2), (1, 1)]
UNHAPPY_WEIGHTS = [(5, 30), (4, 35), (3, 20), (2, 10), (1, 5)]  # late or complained about
SUGGESTIONS = [
    "",
    "",
    "",
    "希望周末也能多开几个窗口。",
    "排队叫号可以在手机上看到就更好了。",
    "工作人员很耐心，谢谢。",
    "材料清单能否提前在网上公布得更清楚一些。",
    "自助机的操作说明字太小。",
]
COMPLAINTS = [
    "跑了两次才办好，材料要求前后说得不一样。",
    "等候时间太长，办理进度没人告知。",
    "结果还没有收到，电话也没人回复。",
]
DOOR_REASONS = ["高龄独居，行动不便", "重度残疾", "长期卧床", "术后康复，无法出门"]
DOOR_OUTCOMES = [
    "已上门核验身份并收取材料，当场受理。",
    "已上门协助填写申请表，材料齐全。",
    "已上门拍照采集，并说明后续办理流程。",
]
RETURN_NOTES = ["缺少%s", "%s不清晰，请重新提供", "%s已过期"]


def ticket_scale() -> float:
    """The demo's ticket volume factor, read from the environment (default 1.0)."""
    try:
        return max(float(os.environ.get(TICKET_SCALE_ENV, "1")), 0.0)
    except ValueError:
        return 1.0


@dataclass
class _Plan:
    """A ticket to be, with everything needed to write its transitions, trips and visits."""

    sub: str
    item: ServiceItem
    point: ServicePoint
    channel: str
    person_id: int
    handler_id: int | None
    submitted_at: datetime
    due: date
    status: str
    done_at: datetime | None = None
    attributes: dict[str, Any] | None = None
    returned_at: datetime | None = None
    resubmitted_at: datetime | None = None
    second_trip: bool = False
    complained: bool = False
    needs_follow_up: bool = False
    follow_up_of: _Plan | None = None
    notes: str = ""
    number: str = ""
    ticket: Ticket | None = None


class _TicketBuilder:
    """Plans one subdistrict's tickets from its network, people and the seeded random source."""

    def __init__(self, ctx: DemoContext, sub: OrgUnit, today: date, users: dict[str, User]) -> None:
        self.rnd = ctx.random
        self.sub = sub
        self.today = today
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.users = users
        self.clerk = users.get(CLERK_OF.get(sub.code, ""))
        points = list(
            ServicePoint.objects.filter(org_unit__path__startswith=sub.path)
            .select_related("org_unit")
            .prefetch_related("items")
            .order_by("pk")
        )
        self.centre = next((p for p in points if p.kind == PointKind.CENTRE), None)
        self.items_of: dict[int, tuple[list[ServiceItem], list[float]]] = {}
        for point in points:
            items = sorted(point.items.all(), key=lambda i: i.code)
            weights = list(accumulate(POPULARITY.get(i.code, 1) for i in items))
            self.items_of[point.pk] = (items, [float(w) for w in weights])
        by_kind: dict[str, list[ServicePoint]] = {}
        for point in points:
            if self.items_of[point.pk][0]:
                by_kind.setdefault(point.kind, []).append(point)
        centre = [self.centre] if self.centre else []
        self.points_for: dict[str, list[ServicePoint]] = {
            Channel.WINDOW: centre,
            Channel.ONLINE: centre,
            Channel.PHONE: centre,
            Channel.SELF_SERVICE: by_kind.get(PointKind.SELF_SERVICE, []),
            Channel.HELP_POINT: by_kind.get(PointKind.HELP_POINT, []),
            # Door-to-door help is shown in the north of the station, where the old estates are.
            Channel.DOOR_TO_DOOR: [
                p for p in by_kind.get(PointKind.DOOR_TO_DOOR, []) if p.org_unit.code == NORTH_AREA
            ],
        }
        self.channels = [c for c in CHANNEL_WEIGHTS if self.points_for[c]]
        self.channel_weights = list(accumulate(float(CHANNEL_WEIGHTS[c]) for c in self.channels))
        self.people = list(
            Person.objects.filter(org_unit__path__startswith=sub.path)
            .order_by("pk")
            .values_list("pk", "org_unit__path", "org_unit_id")
        )
        self.org_of_person = {pk: org_id for pk, _path, org_id in self.people}
        self._people_under: dict[str, list[int]] = {}
        self.help_point_of: dict[int, ServicePoint] = {
            p.org_unit_id: p for p in by_kind.get(PointKind.HELP_POINT, [])
        }

    # --- helpers ---------------------------------------------------------------------------
    def at(self, day: date, minute: int) -> datetime:
        minute = max(0, min(minute, 23 * 60 + 58))
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    def people_under(self, org: OrgUnit) -> list[int]:
        found = self._people_under.get(org.path)
        if found is None:
            found = [pk for pk, path, _org in self.people if path.startswith(org.path)]
            self._people_under[org.path] = found or [pk for pk, _p, _o in self.people]
        return found

    def handler_for(self, point: ServicePoint) -> int | None:
        worker = self.users.get(COMMITTEE_WORKERS.get(point.org_unit.code, ""))
        if point.kind == PointKind.HELP_POINT and worker is not None:
            return worker.pk
        return self.clerk.pk if self.clerk else None

    def attributes_for(self, item: ServiceItem, day: date) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for attr in item.attributes or []:
            datatype = attr.get("datatype")
            if datatype in {"singlevaluelist", "multivaluelist"} and attr.get("values"):
                key = self.rnd.choice(attr["values"])["key"]
                values[attr["code"]] = key if datatype == "singlevaluelist" else [key]
            elif datatype == "number":
                values[attr["code"]] = float(self.rnd.randint(1, 5))
            elif datatype == "datetime":
                values[attr["code"]] = (day + timedelta(days=self.rnd.randint(10, 60))).isoformat()
        return values

    def open_status(self, plan: _Plan) -> None:
        """Leave a ticket open: waiting in the queue, or being worked on."""
        plan.done_at = None
        plan.complained = False
        if plan.channel not in {Channel.WINDOW, Channel.HELP_POINT} and self.rnd.random() < 0.3:
            plan.status, plan.handler_id = TicketStatus.SUBMITTED, None
        elif plan.item.time_limit_days >= 5:
            plan.status = TicketStatus.IN_PROGRESS
        else:
            plan.status = TicketStatus.ACCEPTED

    # --- planning --------------------------------------------------------------------------
    def plan(self, n: int) -> list[_Plan]:
        rnd, today = self.rnd, self.today
        if self.centre is None or not self.people or n <= 0:
            return []
        days = [TICKETS_FROM + timedelta(days=d) for d in range((today - TICKETS_FROM).days)]
        if not days:
            return []
        # Working days carry the load; the centre opens on Saturdays; online never closes.
        # Volume grows a little over the years.
        weights = [
            (1.0 if is_workday(d) else 0.35 if d.weekday() == 5 else 0.08)
            * (0.8 + 0.4 * i / len(days))
            for i, d in enumerate(days)
        ]
        day_indices = sorted(
            rnd.choices(range(len(days)), cum_weights=list(accumulate(weights)), k=n)
        )
        plans = []
        for index in day_indices:
            plans.append(self._plan_one(days[index]))
        self._overdue(plans)
        completed = [p for p in plans if p.status == TicketStatus.COMPLETED]
        self._returns(completed)
        return plans

    def _plan_one(self, day: date) -> _Plan:
        rnd, today = self.rnd, self.today
        open_day = is_workday(day) or day.weekday() == 5
        if open_day:
            channel = self.channels[
                bisect_left(self.channel_weights, rnd.random() * self.channel_weights[-1])
            ]
        else:
            channel = rnd.choice([Channel.ONLINE, Channel.PHONE])
        point = rnd.choice(self.points_for[channel])
        items, cum = self.items_of[point.pk]
        item = items[bisect_left(cum, rnd.random() * cum[-1])]
        person_id = rnd.choice(self.people_under(point.org_unit))
        in_person = channel in IN_PERSON or channel == Channel.DOOR_TO_DOOR
        minute = (
            rnd.randrange(9 * 60, 16 * 60 + 30) if in_person else rnd.randrange(7 * 60, 23 * 60)
        )
        submitted_at = self.at(day, minute)
        limit = item.time_limit_days
        due = add_workdays(day, limit)
        draw = rnd.random()
        if draw < (0.5 if limit <= 1 else 0.3):
            spent = 0  # done on the spot (即办)
        elif draw < 1 - LATE_SHARE:
            spent = 1 + int((limit - 1) * rnd.random() ** 1.6)
        else:
            spent = limit + rnd.randint(1, 3)
        done_day = add_workdays(day, spent) if spent else day
        if done_day >= today and due < today:
            done_day = due  # only the chosen handful stay open past their limit
        plan = _Plan(
            sub=self.sub.code,
            item=item,
            point=point,
            channel=channel,
            person_id=person_id,
            handler_id=self.handler_for(point),
            submitted_at=submitted_at,
            due=due,
            status=TicketStatus.COMPLETED,
            attributes=self.attributes_for(item, day),
        )
        if done_day >= today:
            self.open_status(plan)
            return plan
        if done_day == day:
            plan.done_at = submitted_at + timedelta(minutes=rnd.randint(45, 180))
            if timezone.localtime(plan.done_at, self.tz).date() != day:
                plan.done_at = self.at(day, 23 * 60 + 58)
        else:
            plan.done_at = self.at(done_day, rnd.randrange(9 * 60, 17 * 60))
        closing = rnd.random()
        if closing < REJECTED_SHARE:
            plan.status, plan.notes = TicketStatus.REJECTED, "不符合受理条件"
        elif closing < REJECTED_SHARE + WITHDRAWN_SHARE:
            plan.status, plan.notes = TicketStatus.WITHDRAWN, "申请人撤回申请"
        plan.complained = plan.status == TicketStatus.COMPLETED and rnd.random() < COMPLAINED_SHARE
        return plan

    def _overdue(self, plans: list[_Plan]) -> None:
        """A handful of recent tickets stay open past their limit, and a few more are due in the
        next working days, so that the SLA lists have rows."""
        soon = add_workdays(self.today, DUE_SOON_WORKDAYS)
        for low, high, wanted in (
            (self.today - timedelta(days=15), self.today - timedelta(days=1), OVERDUE_OPEN),
            (self.today, soon, DUE_SOON_OPEN),
        ):
            recent = [
                p for p in plans if p.status == TicketStatus.COMPLETED and low <= p.due <= high
            ]
            count = min(wanted.get(self.sub.code, 2), len(recent))
            for plan in self.rnd.sample(recent, count):
                self.open_status(plan)

    def _returns(self, completed: list[_Plan]) -> None:
        """About 1% returned for missing materials; some of them came back in person."""
        rnd = self.rnd
        cutoff = self.today - timedelta(days=40)
        candidates = [p for p in completed if p.submitted_at.date() < cutoff]
        returned = rnd.sample(
            candidates, min(round(RETURNED_SHARE * len(completed)), len(candidates))
        )
        returned.sort(key=lambda p: p.submitted_at)
        second_trips = int(TWO_TRIP_SHARE * len(completed))
        for plan in returned:
            day = plan.submitted_at.date()
            plan.returned_at = plan.submitted_at + timedelta(minutes=10)
            resubmit_day = add_workdays(day, rnd.randint(1, 3))
            plan.resubmitted_at = self.at(resubmit_day, rnd.randrange(9 * 60, 16 * 60))
            assert plan.done_at is not None
            if plan.done_at <= plan.resubmitted_at + timedelta(minutes=30):
                done_day = add_workdays(resubmit_day, rnd.randint(0, 2))
                plan.done_at = (
                    plan.resubmitted_at + timedelta(minutes=rnd.randint(40, 90))
                    if done_day == resubmit_day
                    else self.at(done_day, rnd.randrange(9 * 60, 17 * 60))
                )
            if plan.channel in IN_PERSON and second_trips > 0:
                plan.second_trip = True
                second_trips -= 1

    # --- return visits and their follow-ups ---------------------------------------------------
    def visits(
        self, plans: list[_Plan], caller: User
    ) -> tuple[list[tuple[_Plan, ReturnVisit]], list[_Plan]]:
        """Return visits (each waiting for its plan's ticket) and the follow-ups they open."""
        rnd, now = self.rnd, timezone.now()
        visits: list[tuple[_Plan, ReturnVisit]] = []
        follow_ups: list[_Plan] = []
        scores = [s for s, _w in SATISFACTION_WEIGHTS]
        cum = list(accumulate(float(w) for _s, w in SATISFACTION_WEIGHTS))
        cum_unhappy = list(accumulate(float(w) for _s, w in UNHAPPY_WEIGHTS))
        for plan in plans:
            if plan.status != TicketStatus.COMPLETED or plan.done_at is None:
                continue
            late = timezone.localtime(plan.done_at, self.tz).date() > plan.due
            if not (late or plan.complained or rnd.random() < VISIT_SHARE):
                continue
            called_day = plan.done_at.date() + timedelta(days=rnd.randint(1, 6))
            called_at = self.at(called_day, rnd.randrange(10 * 60, 16 * 60 + 30))
            if called_at >= now:
                continue
            weights = cum_unhappy if plan.complained or late else cum
            score = scores[bisect_left(weights, rnd.random() * weights[-1])]
            if score >= 4:
                resolution = Resolution.RESOLVED
            elif score == 3:
                resolution = rnd.choice([Resolution.RESOLVED, Resolution.PARTLY])
            else:
                resolution = rnd.choice([Resolution.NOT_RESOLVED, Resolution.PARTLY])
            suggestion = rnd.choice(COMPLAINTS) if score <= 2 else rnd.choice(SUGGESTIONS)
            answers = [
                "已经办好了。" if resolution == Resolution.RESOLVED else "还没有完全办好。",
                "两次" if plan.second_trip else "一次",
                "很好" if score >= 4 else "一般" if score == 3 else "不满意",
                suggestion or "没有。",
            ]
            visits.append(
                (
                    plan,
                    ReturnVisit(
                        caller=caller,
                        called_at=called_at,
                        answers=[
                            {"question": str(q), "answer": a}
                            for q, a in zip(RETURN_VISIT_QUESTIONS, answers, strict=True)
                        ],
                        satisfaction=score,
                        resolution=resolution,
                        suggestions=suggestion,
                    ),
                )
            )
            if score <= 2 or resolution == Resolution.NOT_RESOLVED:
                plan.needs_follow_up = True
                follow_ups.append(
                    self._follow_up(plan, called_at, score, Resolution(resolution), suggestion)
                )
        return visits, follow_ups

    def _follow_up(
        self, plan: _Plan, called_at: datetime, score: int, resolution: Resolution, text: str
    ) -> _Plan:
        rnd = self.rnd
        day = called_at.date()
        submitted_at = called_at + timedelta(minutes=10)
        follow = _Plan(
            sub=plan.sub,
            item=plan.item,
            point=plan.point,
            channel=Channel.PHONE,
            person_id=plan.person_id,
            handler_id=plan.handler_id or (self.clerk.pk if self.clerk else None),
            submitted_at=submitted_at,
            due=add_workdays(day, plan.item.time_limit_days),
            status=TicketStatus.COMPLETED,
            attributes=plan.attributes,
            follow_up_of=plan,
            notes=f"回访跟进：满意度 {score}，{resolution.label}。{text}",
        )
        done_day = add_workdays(day, rnd.randint(1, min(plan.item.time_limit_days, 5)))
        if done_day >= self.today:
            follow.status = (
                TicketStatus.IN_PROGRESS
                if plan.item.time_limit_days >= 5
                else TicketStatus.ACCEPTED
            )
        else:
            follow.done_at = self.at(done_day, rnd.randrange(9 * 60, 17 * 60))
        return follow

    # --- door-to-door help in the north -------------------------------------------------------
    def door_requests(self, plans: list[_Plan], worker: User) -> list[DoorToDoorRequest]:
        rnd = self.rnd
        requests = []
        for plan in plans:
            if plan.channel != Channel.DOOR_TO_DOOR or plan.ticket is None:
                continue
            org_id = self.org_of_person[plan.person_id]
            via = rnd.choice([Channel.HELP_POINT, Channel.PHONE])
            requests.append(
                DoorToDoorRequest(
                    org_unit_id=org_id,
                    person_id=plan.person_id,
                    item=plan.item,
                    reason=rnd.choice(DOOR_REASONS),
                    requested_via=via,
                    point=self.help_point_of.get(org_id) if via == Channel.HELP_POINT else None,
                    scheduled_date=plan.submitted_at.date(),
                    assigned_to=worker,
                    status=VisitStatus.VISITED,
                    outcome=rnd.choice(DOOR_OUTCOMES),
                    visited_at=plan.submitted_at,
                    ticket=plan.ticket,
                )
            )
        north = OrgUnit.objects.filter(code=NORTH_AREA).first()
        door_items = [
            i for p in self.points_for[Channel.DOOR_TO_DOOR] for i in self.items_of[p.pk][0]
        ]
        if north is None or not door_items:
            return requests
        people = self.people_under(north)
        # The coming days: scheduled visits on the worker's list, and two not yet scheduled.
        day = self.today
        for n in range(8):
            person_id = rnd.choice(people)
            org_id = self.org_of_person[person_id]
            scheduled = n < 6
            requests.append(
                DoorToDoorRequest(
                    org_unit_id=org_id,
                    person_id=person_id,
                    item=rnd.choice(door_items),
                    reason=rnd.choice(DOOR_REASONS),
                    requested_via=Channel.HELP_POINT if n % 2 else Channel.PHONE,
                    point=self.help_point_of.get(org_id) if n % 2 else None,
                    scheduled_date=day if scheduled else None,
                    assigned_to=worker if scheduled else None,
                    status=VisitStatus.SCHEDULED if scheduled else VisitStatus.REQUESTED,
                )
            )
            if scheduled and n % 2:
                day = add_workdays(day, 1)
        return requests


def _number_plans(plans: list[_Plan]) -> None:
    serials: dict[tuple[str, int], int] = {}
    for plan in sorted(plans, key=lambda p: p.submitted_at):
        year = plan.submitted_at.year
        serial = serials.get((plan.sub, year), 0) + 1
        serials[(plan.sub, year)] = serial
        plan.number = f"{plan.sub}-{year}-{serial:06d}"


def _ticket_of(plan: _Plan, org_id: int) -> Ticket:
    return Ticket(
        org_unit_id=org_id,
        number=plan.number,
        item=plan.item,
        point=plan.point,
        channel=plan.channel,
        applicant_person_id=plan.person_id,
        attributes=plan.attributes or {},
        materials={m: True for m in plan.item.materials or []},
        handler_id=plan.handler_id,
        status=plan.status,
        submitted_at=plan.submitted_at,
        completed_at=plan.done_at if plan.status == TicketStatus.COMPLETED else None,
        due_date=plan.due,
        notes=plan.notes,
        complained=plan.complained,
        needs_follow_up=plan.needs_follow_up,
        follow_up_of=plan.follow_up_of.ticket if plan.follow_up_of else None,
    )


def _transitions_of(plan: _Plan) -> list[TicketTransition]:
    ticket, handler = plan.ticket, plan.handler_id
    assert ticket is not None
    at = plan.submitted_at
    # Staff file what is brought to a window, a help point or a doorstep; the rest the applicant.
    filer = (
        handler
        if plan.channel in {Channel.WINDOW, Channel.HELP_POINT, Channel.DOOR_TO_DOOR}
        else None
    )
    steps: list[tuple[str, str, datetime, int | None, str]] = [
        ("", TicketStatus.SUBMITTED, at, filer, "")
    ]
    if plan.status != TicketStatus.SUBMITTED:
        current = TicketStatus.SUBMITTED
        if plan.returned_at and plan.resubmitted_at:
            missing = (plan.item.materials or ["材料"])[
                len(plan.number) % len(plan.item.materials or ["材料"])
            ]
            note = RETURN_NOTES[int(plan.number[-1]) % len(RETURN_NOTES)] % missing
            steps.append((current, TicketStatus.RETURNED, plan.returned_at, handler, note))
            resubmit_note = "到窗口补交材料" if plan.second_trip else "网上补传材料"
            steps.append(
                (
                    TicketStatus.RETURNED,
                    TicketStatus.RESUBMITTED,
                    plan.resubmitted_at,
                    handler if plan.second_trip else None,
                    resubmit_note,
                )
            )
            current, at = TicketStatus.RESUBMITTED, plan.resubmitted_at
        at = at + timedelta(minutes=5)
        steps.append((current, TicketStatus.ACCEPTED, at, handler, ""))
        current = TicketStatus.ACCEPTED
        if plan.status == TicketStatus.IN_PROGRESS or (
            plan.status == TicketStatus.COMPLETED and plan.item.time_limit_days >= 5
        ):
            at = at + timedelta(minutes=10)
            steps.append((current, TicketStatus.IN_PROGRESS, at, handler, ""))
            current = TicketStatus.IN_PROGRESS
        if plan.status in {TicketStatus.COMPLETED, TicketStatus.REJECTED, TicketStatus.WITHDRAWN}:
            assert plan.done_at is not None
            steps.append(
                (
                    current,
                    plan.status,
                    plan.done_at,
                    handler,
                    plan.notes if plan.status != TicketStatus.COMPLETED else "",
                )
            )
    return [
        TicketTransition(ticket=ticket, from_status=f, to_status=t, at=a, actor_id=actor, note=note)
        for f, t, a, actor, note in steps
    ]


def _trips_of(plan: _Plan) -> list[Trip]:
    ticket = plan.ticket
    assert ticket is not None
    trips = []
    if plan.channel in IN_PERSON:
        recorder = plan.handler_id if plan.channel != Channel.SELF_SERVICE else None
        trips.append(
            Trip(
                ticket=ticket,
                date=plan.submitted_at.date(),
                point=plan.point,
                purpose="提交申请",
                recorded_by_id=recorder,
            )
        )
    if plan.second_trip and plan.resubmitted_at:
        trips.append(
            Trip(
                ticket=ticket,
                date=plan.resubmitted_at.date(),
                point=plan.point,
                purpose="补交材料",
                recorded_by_id=plan.handler_id,
            )
        )
    return trips


@demo_step("affairs.tickets", order=61)
def demo_tickets(ctx: DemoContext) -> None:
    """Five years of tickets with transitions, trips, return visits and door-to-door help.

    A subdistrict whose centre already has tickets is left alone, so a second run adds nothing.
    """
    today = timezone.localdate()
    scale = ticket_scale()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[*CLERK_OF.values(), *COMMITTEE_WORKERS.values()])
    }
    for username, point_name in (
        ("tmx_clerk", "天目西路街道社区事务受理服务中心"),
        ("bz_admin", "北站街道社区事务受理服务中心"),
        ("hx_worker", "华新静邻帮办点"),
    ):
        user = users.get(username)
        point = ServicePoint.objects.filter(name=point_name).first()
        if user is not None and point is not None:
            point.staff.add(user)
    for code, volume in TICKETS_PER_SUBDISTRICT.items():
        sub = OrgUnit.objects.filter(code=code).first()
        if sub is None:
            continue
        if Ticket.objects.filter(point__org_unit=sub, point__kind=PointKind.CENTRE).exists():
            ctx.out(f"    {sub.name}: tickets already there")
            continue
        builder = _TicketBuilder(ctx, sub, today, users)
        clerk = builder.clerk
        plans = builder.plan(round(volume * scale))
        if not plans or clerk is None:
            continue
        visits, follow_ups = builder.visits(plans, clerk)
        _number_plans([*plans, *follow_ups])
        org_of_point = {p.point.pk: p.point.org_unit_id for p in plans}
        for batch in (plans, follow_ups):  # a follow-up points at a ticket created before it
            tickets = [_ticket_of(p, org_of_point[p.point.pk]) for p in batch]
            Ticket.objects.bulk_create(tickets, batch_size=2000)
            for plan, ticket in zip(batch, tickets, strict=True):
                plan.ticket = ticket
        everything = [*plans, *follow_ups]
        TicketTransition.objects.bulk_create(
            (t for p in everything for t in _transitions_of(p)), batch_size=5000
        )
        Trip.objects.bulk_create((t for p in everything for t in _trips_of(p)), batch_size=5000)
        for plan, visit in visits:
            visit.ticket = plan.ticket  # type: ignore[assignment]
        ReturnVisit.objects.bulk_create([v for _p, v in visits], batch_size=2000)
        door_worker = users.get("tmx_clerk")
        if door_worker is not None and code == "TMX":
            DoorToDoorRequest.objects.bulk_create(builder.door_requests(plans, door_worker))
        rates = rates_of(Ticket.objects.filter(org_unit__path__startswith=sub.path), today=today)
        overdue = Ticket.objects.filter(
            org_unit__path__startswith=sub.path,
            status__in=OPEN_STATUSES,
            due_date__lt=today,
        ).count()
        ctx.out(
            f"    {sub.name}: {len(everything)} tickets, {len(visits)} return visits, "
            f"{overdue} overdue; one-trip rate {rates.one_trip_rate}% "
            f"({rates.one_trip}/{rates.completed}), one-go {rates.one_go_rate}%, "
            f"on time {rates.on_time_rate}%"
        )
