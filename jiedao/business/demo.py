"""Demo data of the business environment module (seeded, idempotent).

The records add up to the figures of DOMAIN.md: in 天目西路街道 64 office buildings, about
5,600 registered enterprises and 50,000 white-collar workers; 12 "和矩阵" councils over 16
buildings holding 1,167 enterprises and about 40,000 white-collar workers. A year of council
meetings with action items, leader liaison visits, enterprise requests, vacancies and viewings
comes with them. Each step leaves alone what an earlier run built, so a second run adds nothing.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from jiedao.accounts.models import User
from jiedao.business.models import (
    REQUEST_OPEN,
    ActionItem,
    ActionState,
    BuildingGrade,
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
from jiedao.business.selectors import DUE_SOON_WORKDAYS
from jiedao.business.services import request_due_dates
from jiedao.core.demo import (
    NAMED_BUILDINGS,
    DemoContext,
    demo_step,
    fake_credit_code,
    fake_id_number,
    fake_mobile,
)
from jiedao.core.models import Enterprise, OfficeBuilding, OrgUnit, Person
from jiedao.core.services import PersonData, _apply_person_data
from jiedao.core.workdays import add_workdays, is_workday

T = TypeVar("T")

# code, name, free service?, acknowledge (hours), first response (working days), resolve (wd)
REQUEST_TYPES = [
    ("registration", "登记注册", True, 4, 1, 5),
    ("office_viewing", "办公场地带看", True, 4, 2, 10),
    ("recruitment", "人才招聘", True, 8, 2, 15),
    ("financing", "企业融资", True, 8, 3, 20),
    ("policy", "政策咨询", True, 4, 1, 5),
    ("difficulty", "困难诉求/其他", False, 8, 2, 15),
]


@demo_step("business.request_types", order=70)
def demo_request_types(ctx: DemoContext) -> None:
    for order, (code, name, free, ack, response, resolve) in enumerate(REQUEST_TYPES):
        RequestType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "is_free_service": free,
                "ack_hours": ack,
                "response_days": response,
                "resolve_days": resolve,
                "order": order,
            },
        )


# --- the figures the records add up to -----------------------------------------------------------
TMX, BZ = "TMX", "BZ"
KEY_BUILDINGS = {TMX: 20, BZ: 2}
COUNCIL_COUNT = 12
COVERED_BUILDINGS = 16
COVERED_ENTERPRISES = 1_167
COVERED_WHITE_COLLAR = (39_700, 40_300)  # the drawn target lies in here: "about 40,000"
TMX_WHITE_COLLAR = (49_700, 50_300)  # about 50,000, firms not moved out
TMX_ENTERPRISES = 5_680  # rows: registered here (5,600+), a few registered elsewhere, moved out
REGISTERED_ELSEWHERE = 40  # operate in a Tianmu building, registered in another district
NO_BUILDING = 1_200  # registered at an address that is not an office building
MOVED_OUT = {"covered": 9, "other": 27}
# Shares of firms registered here but operating elsewhere (注册型企业), by where they sit.
ELSEWHERE_SHARE = {"covered": 0.06, "other": 0.35, "none": 0.75}
KEY_SHARE = {"covered": 0.08, "other": 0.015}
CONTACTS = 300
# Contact persons live all over Shanghai: districts other than the two subdistricts' own.
CONTACT_REGIONS = ("310101", "310104", "310105", "310107", "310109", "310110", "310112", "310115")

INDUSTRIES: list[tuple[str, int, list[str]]] = [
    # industry, weight, words of firms' names
    ("金融服务", 14, ["投资管理", "资产管理", "融资租赁", "保险经纪", "股权投资基金管理"]),
    ("信息技术", 16, ["信息技术", "网络科技", "软件", "数据科技", "智能科技"]),
    ("商务服务", 18, ["企业管理咨询", "商务咨询", "会展服务", "广告"]),
    ("专业服务", 10, ["税务师事务所", "知识产权代理", "工程咨询", "认证服务"]),
    ("贸易", 12, ["贸易", "国际贸易", "进出口", "供应链管理"]),
    ("文化创意", 8, ["文化传媒", "文化创意", "设计", "影视制作"]),
    ("人力资源", 6, ["人力资源", "人才服务", "劳务派遣"]),
    ("科技研发", 6, ["生物科技", "新材料科技", "环保科技", "检测技术"]),
    ("房地产服务", 4, ["房地产经纪", "物业管理", "置业"]),
    ("医药健康", 4, ["医药科技", "健康管理", "医疗器械"]),
    ("社会组织", 2, ["公益服务中心", "社会工作服务社", "青年创业促进会", "行业协会"]),
]
SOCIAL = "社会组织"
# Faker knows too few firm names for 5,000 distinct ones: most take a two-character brand.
BRAND_CHARACTERS = (
    "鑫博华瑞泰丰源盛德恒嘉宏安达信诚和汇通远景新广创凯中天海润昊晟启明锦弘裕隆佳谷川"
)

PROPERTY_MANAGERS = 10
SERVICE_HUBS = ["天目西路楼宇党群服务站", "恒丰路楼宇党群服务站", "梅园路楼宇党群服务站"]
DEPARTMENTS = ["营商办", "党建办", "自治办", "平安办", "管理办", "服务办"]
COUNCIL_DEPARTMENTS = ["营商办", "党建办", "自治办", "平安办", "派出所", "城管中队", "市场监管所"]
BLOCK_COUNCIL = "天目西路街区楼务会"

TZ = ZoneInfo(settings.TIME_ZONE)


# --- helpers ---------------------------------------------------------------------------------------
def _at(day: date, minute: int) -> datetime:
    minute = max(0, min(minute, 23 * 60 + 59))
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=TZ)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, TZ).date()


def _workday_on_or_before(day: date) -> date:
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def _workday_on_or_after(day: date) -> date:
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def _day_between(rnd: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rnd.randint(0, (end - start).days))


def _spread(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split into whole parts in proportion to `weights` (largest remainder)."""
    if not weights or total <= 0:
        return [0] * len(weights)
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _fit(values: list[int], target: int) -> list[int]:
    """Values scaled so that they add up to exactly `target`, each staying at least 1."""
    if not values:
        return []
    if target < len(values):
        raise RuntimeError(f"cannot fit {len(values)} values of at least 1 into {target}")
    factor = target / sum(values)
    fitted = [max(1, round(v * factor)) for v in values]
    largest_first = sorted(range(len(fitted)), key=lambda i: (-fitted[i], i))
    diff, turn = target - sum(fitted), 0
    while diff:
        i = largest_first[turn % len(largest_first)]
        step = 1 if diff > 0 else -1
        if fitted[i] + step >= 1:
            fitted[i] += step
            diff -= step
        turn += 1
    return fitted


def _lognormal(rnd: random.Random, median: float, sigma: float, cap: int) -> int:
    return max(1, min(cap, round(rnd.lognormvariate(math.log(median), sigma))))


def _weighted(rnd: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rnd.choices(items, weights=weights)[0]


def _social_org_code(code: str) -> str:
    """The same code with the registration class of a private non-enterprise unit (52…)."""
    body = "52" + code[2:17]
    return body + uscc.calc_check_digit(body)


def _users(*names: str) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _sub(code: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code).first()


def _firms_under(sub: OrgUnit) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(org_unit__path__startswith=sub.path)


def _active_here(sub: OrgUnit) -> QuerySet[Enterprise]:
    """Firms of the subdistrict operating here and not moved out."""
    return _firms_under(sub).filter(profile__operating_here=True, profile__moved_out__isnull=True)


# --- building profiles -----------------------------------------------------------------------------
@demo_step("business.buildings", order=71)
def demo_buildings(ctx: DemoContext) -> None:
    """A profile for every office building: grade, owner, property manager, occupancy, the
    building's party committee and service station ("1+3+X"), and about 20 key buildings."""
    rnd, fake = ctx.random, ctx.fake
    managers = [f"上海{fake.company_prefix()}物业管理有限公司" for _ in range(PROPERTY_MANAGERS)]
    for code in (TMX, BZ):
        sub = _sub(code)
        if sub is None:
            continue
        buildings = list(
            OfficeBuilding.objects.filter(org_unit__path__startswith=sub.path).order_by("name")
        )
        named = [b for b in buildings if b.name in NAMED_BUILDINGS]
        others = [b for b in buildings if b.name not in NAMED_BUILDINGS]
        wanted = max(0, min(KEY_BUILDINGS[code] - len(named), len(others)))
        key_ids = {b.pk for b in named} | {b.pk for b in rnd.sample(others, wanted)}
        have = set(
            BuildingProfile.objects.filter(building__in=buildings).values_list(
                "building_id", flat=True
            )
        )
        new = []
        for building in buildings:
            key = building.pk in key_ids
            grade = (
                BuildingGrade.GRADE_A
                if building.name in NAMED_BUILDINGS
                else _weighted(
                    rnd,
                    [BuildingGrade.GRADE_A, BuildingGrade.GRADE_B, BuildingGrade.GRADE_C],
                    [5, 4, 1] if key else [2, 5, 3],
                )
            )
            low, high = {"A": (85, 98), "B": (75, 95)}.get(grade, (60, 90))
            profile = BuildingProfile(
                building=building,
                grade=grade,
                owner=f"上海{fake.company_prefix()}"
                + rnd.choice(["置业有限公司", "房地产开发有限公司", "资产管理有限公司"]),
                property_manager=rnd.choice(managers),
                occupancy=Decimal(f"{rnd.uniform(low, high):.1f}"),
                party_committee=f"{building.name}楼宇党委",
                # "1+3+X": key buildings have a point of their own, the others one of three hubs
                service_station=f"{building.name}党群服务点" if key else rnd.choice(SERVICE_HUBS),
                is_key=key,
            )
            if building.pk not in have:
                new.append(profile)
        BuildingProfile.objects.bulk_create(new)
        ctx.out(
            f"    {sub.name}: {len(buildings)} building profiles, "
            f"{BuildingProfile.objects.filter(building__in=buildings, is_key=True).count()} key"
        )


# --- councils --------------------------------------------------------------------------------------
def _council_layout(covered: list[OfficeBuilding]) -> list[tuple[str, list[OfficeBuilding]]]:
    """12 councils over 16 buildings: eight of one building, three of two, and a block
    council over two more and one already covered (a building counts once)."""
    layout: list[tuple[str, list[OfficeBuilding]]] = [(f"{b.name}楼务会", [b]) for b in covered[:8]]
    for i in range(8, 14, 2):
        pair = covered[i : i + 2]
        layout.append((f"{pair[0].name}·{pair[1].name}联合楼务会", pair))
    layout.append((BLOCK_COUNCIL, [covered[14], covered[15], covered[0]]))
    return layout


@demo_step("business.councils", order=72)
def demo_councils(ctx: DemoContext) -> None:
    rnd, fake = ctx.random, ctx.fake
    sub = _sub(TMX)
    if sub is None:
        return
    key = list(
        OfficeBuilding.objects.filter(
            org_unit__path__startswith=sub.path, profile__is_key=True
        ).order_by("name")
    )
    named = sorted((b for b in key if b.name in NAMED_BUILDINGS), key=lambda b: b.name)
    others = [b for b in key if b.name not in NAMED_BUILDINGS]
    if len(key) < COVERED_BUILDINGS:
        ctx.out(f"    fewer than {COVERED_BUILDINGS} key buildings: no councils")
        return
    covered = named + rnd.sample(others, COVERED_BUILDINGS - len(named))
    profiles = {p.building_id: p for p in BuildingProfile.objects.filter(building__in=covered)}
    through = Council.buildings.through
    links = []
    for name, buildings in _council_layout(covered):
        first = profiles[buildings[0].pk]
        defaults = {
            "convener": f"{fake.name()}（{first.owner}）",
            "secretary_general": f"{fake.name()}（{first.property_manager}）",
            "party_committee": first.party_committee
            if len(buildings) == 1
            else "天目西路街道楼宇联合党委",
            "founded": date(2019, 3, 1) + timedelta(days=rnd.randrange(0, 5 * 365)),
        }
        if Council.objects.filter(org_unit=sub, name=name).exists():
            continue
        council = Council.objects.create(org_unit=sub, name=name, brand="和矩阵", **defaults)
        links += [through(council_id=council.pk, officebuilding_id=b.pk) for b in buildings]
    through.objects.bulk_create(links)
    ctx.out(f"    {Council.objects.filter(org_unit=sub).count()} councils (和矩阵)")


# --- enterprises and their profiles ----------------------------------------------------------------
@dataclass
class _Firm:
    enterprise: Enterprise
    where: str  # "covered" | "other" | "none"
    industry: str = ""
    registered_here: bool = True
    operating_here: bool = True
    white_collar: int = 0
    is_key: bool = False
    moved_in: date | None = None
    moved_out: date | None = None

    def profile(self) -> EnterpriseProfile:
        return EnterpriseProfile(
            enterprise=self.enterprise,
            industry=self.industry,
            registered_here=self.registered_here,
            operating_here=self.operating_here,
            white_collar_count=self.white_collar,
            is_key=self.is_key,
            moved_in=self.moved_in,
            moved_out=self.moved_out,
        )


class _Names:
    """Distinct, plausible firm names and valid, distinct credit codes."""

    def __init__(self, rnd: random.Random, fake: Faker, first_code: str, taken: set[str]) -> None:
        self.rnd, self.fake = rnd, fake
        self.codes = set(taken)
        self.names: set[str] = set()
        self.pending = first_code

    def code(self, industry: str) -> str:
        code = self.pending
        while code in self.codes:
            code = fake_credit_code(self.rnd)
        self.pending = fake_credit_code(self.rnd)
        self.codes.add(code)
        return _social_org_code(code) if industry == SOCIAL else code

    def brand(self) -> str:
        if self.rnd.random() < 0.3:
            return str(self.fake.company_prefix())
        return "".join(self.rnd.sample(BRAND_CHARACTERS, 2))

    def name(self, industry: str, words: list[str]) -> str:
        while True:
            prefix, word = self.brand(), self.rnd.choice(words)
            if industry == SOCIAL:
                name = f"上海市静安区{prefix}{word}"
            else:
                style = self.rnd.random()
                if style < 0.7:
                    name = f"上海{prefix}{word}有限公司"
                elif style < 0.9:
                    name = f"{prefix}（上海）{word}有限公司"
                else:
                    name = f"上海{prefix}{word}股份有限公司"
            if name not in self.names:
                self.names.add(name)
                return name


def _draw_industry(rnd: random.Random) -> tuple[str, list[str]]:
    industry, _weight, words = _weighted(rnd, INDUSTRIES, [w for _i, w, _words in INDUSTRIES])
    return industry, words


def _covered_building_ids(sub: OrgUnit) -> set[int]:
    return set(
        OfficeBuilding.objects.filter(councils__org_unit__path__startswith=sub.path).values_list(
            "pk", flat=True
        )
    )


def _coverage_figures(sub: OrgUnit, today: date) -> tuple[int, int, int, int]:
    """Councils, buildings, enterprises, white-collar: as selectors.coverage counts them."""
    councils = Council.objects.filter(org_unit__path__startswith=sub.path)
    building_ids = _covered_building_ids(sub)
    firms = Enterprise.objects.filter(building_id__in=building_ids).exclude(
        profile__moved_out__lte=today
    )
    white_collar = firms.aggregate(n=Sum("profile__white_collar_count"))["n"] or 0
    return councils.count(), len(building_ids), firms.count(), int(white_collar)


@demo_step("business.enterprises", order=73)
def demo_enterprises(ctx: DemoContext) -> None:
    """Top Tianmu up to about 5,600 registered enterprises, every one with a profile, so that
    the covered buildings hold exactly 1,167 firms and about 40,000 white-collar workers."""
    rnd = ctx.random
    today = timezone.localdate()
    bz = _sub(BZ)
    if bz is not None:
        _profile_the_rest(rnd, bz, today)
    sub = _sub(TMX)
    if sub is None:
        return
    first_code = fake_credit_code(rnd)
    if Enterprise.objects.filter(credit_code=first_code).exists():
        ctx.out("    天目西路街道: enterprises already there")
    else:
        _build_tmx_enterprises(ctx, sub, first_code, today)
    councils, buildings, firms, white_collar = _coverage_figures(sub, today)
    total = _firms_under(sub).count()
    registered = _firms_under(sub).filter(profile__registered_here=True).count()
    everyone = (
        _firms_under(sub)
        .exclude(profile__moved_out__lte=today)
        .aggregate(n=Sum("profile__white_collar_count"))["n"]
        or 0
    )
    ctx.out(
        f"    天目西路街道: {total} enterprises ({registered} registered here), "
        f"{everyone} white-collar workers"
    )
    ctx.out(
        f"    coverage: {councils} councils, {buildings} buildings, {firms} enterprises, "
        f"{white_collar} white-collar workers"
    )


def _profile_the_rest(rnd: random.Random, sub: OrgUnit, today: date) -> None:
    """A profile for each firm of a subdistrict that has none (the other subdistrict's few)."""
    firms = list(_firms_under(sub).order_by("pk"))
    have = set(
        EnterpriseProfile.objects.filter(enterprise__in=firms).values_list(
            "enterprise_id", flat=True
        )
    )
    new = []
    for firm in firms:
        industry, _words = _draw_industry(rnd)
        plan = _Firm(
            firm,
            "other",
            industry=industry,
            white_collar=_lognormal(rnd, 20, 0.8, 400),
            is_key=rnd.random() < 0.1,
            moved_in=_day_between(rnd, date(2008, 1, 1), today - timedelta(days=60)),
        )
        if firm.pk not in have:
            new.append(plan.profile())
    EnterpriseProfile.objects.bulk_create(new)


def _build_tmx_enterprises(ctx: DemoContext, sub: OrgUnit, first_code: str, today: date) -> None:
    rnd, fake = ctx.random, ctx.fake
    buildings = list(
        OfficeBuilding.objects.filter(org_unit__path__startswith=sub.path).order_by("name")
    )
    covered_ids = _covered_building_ids(sub)
    covered = [b for b in buildings if b.pk in covered_ids]
    others = [b for b in buildings if b.pk not in covered_ids]
    existing = list(_firms_under(sub).select_related("profile").order_by("pk"))
    profiled = {e.pk: e.profile for e in existing if hasattr(e, "profile")}

    def counts_as_active(e: Enterprise) -> bool:
        p = profiled.get(e.pk)
        return p is None or p.moved_out is None or p.moved_out > today

    active_in = Counter(e.building_id for e in existing if counts_as_active(e))
    new_covered = COVERED_ENTERPRISES - sum(active_in[b.pk] for b in covered)
    floor_per_building = 10
    if new_covered < floor_per_building * len(covered):
        raise RuntimeError("the covered buildings hold too many enterprises already")
    # Larger buildings hold more firms.
    weights = [float(b.floor_area or 1) * rnd.uniform(0.7, 1.3) for b in covered]
    extra = _spread(new_covered - floor_per_building * len(covered), weights)
    covered_plan = {b.pk: floor_per_building + n for b, n in zip(covered, extra, strict=True)}
    new_other = (
        TMX_ENTERPRISES
        - len(existing)
        - new_covered
        - MOVED_OUT["covered"]
        - NO_BUILDING
        - MOVED_OUT["other"]
    )
    other_plan = dict(
        zip(
            [b.pk for b in others],
            _spread(
                max(new_other, 0),
                [float(b.floor_area or 1) * rnd.uniform(0.5, 1.5) for b in others],
            ),
            strict=True,
        )
    )
    names = _Names(
        rnd, fake, first_code, set(Enterprise.objects.values_list("credit_code", flat=True))
    )
    names.names.update(Enterprise.objects.values_list("name", flat=True))

    def new_firm(building: OfficeBuilding | None, where: str) -> _Firm:
        industry, words = _draw_industry(rnd)
        floor = rnd.randrange(1, max(building.floors, 2)) if building is not None else None
        enterprise = Enterprise(
            org_unit=sub,
            name=names.name(industry, words),
            credit_code=names.code(industry),
            building=building,
            floor=floor,
        )
        return _Firm(enterprise, where, industry=industry)

    plans: list[_Firm] = []
    # Firms that exist already (the foundation's few per building) get a profile of their own.
    for enterprise in existing:
        if enterprise.pk in profiled:
            continue
        industry, _words = _draw_industry(rnd)
        where = "covered" if enterprise.building_id in covered_ids else "other"
        plans.append(_Firm(enterprise, where if enterprise.building_id else "none", industry))
    for building in covered:
        plans += [new_firm(building, "covered") for _ in range(covered_plan[building.pk])]
    for building in others:
        plans += [new_firm(building, "other") for _ in range(other_plan[building.pk])]
    plans += [new_firm(None, "none") for _ in range(NO_BUILDING)]
    moved_out = [new_firm(rnd.choice(covered), "covered") for _ in range(MOVED_OUT["covered"])]
    moved_out += [new_firm(rnd.choice(others), "other") for _ in range(MOVED_OUT["other"])]

    # Who operates here, who is key, since when; the foundation's firms are real tenants.
    for plan in plans:
        existing_firm = plan.enterprise.pk is not None
        plan.operating_here = existing_firm or rnd.random() >= ELSEWHERE_SHARE[plan.where]
        if plan.industry == SOCIAL:
            plan.operating_here = True
        plan.is_key = plan.operating_here and rnd.random() < KEY_SHARE.get(plan.where, 0.0)
        plan.moved_in = _day_between(rnd, date(2005, 1, 1), today - timedelta(days=30))
    elsewhere_registered = [p for p in plans if p.where == "other" and p.operating_here]
    for plan in rnd.sample(
        elsewhere_registered, min(REGISTERED_ELSEWHERE, len(elsewhere_registered))
    ):
        plan.registered_here = False
    for plan in moved_out:
        plan.registered_here = plan.operating_here = False
        plan.moved_in = _day_between(rnd, date(2010, 1, 1), date(2022, 12, 31))
        plan.moved_out = _day_between(rnd, today - timedelta(days=700), today - timedelta(days=10))
        plan.white_collar = _lognormal(rnd, 15, 0.8, 300)

    # White-collar headcounts: big key firms, many small ones; scaled so that the covered
    # buildings and the whole subdistrict come to their targets exactly.
    covered_target = rnd.randint(*COVERED_WHITE_COLLAR)
    total_target = rnd.randint(*TMX_WHITE_COLLAR)
    fixed = {"covered": 0, "outside": 0}
    for enterprise in existing:
        p = profiled.get(enterprise.pk)
        if p is not None and counts_as_active(enterprise):
            fixed["covered" if enterprise.building_id in covered_ids else "outside"] += (
                p.white_collar_count
            )
    for group, target in (
        ("covered", covered_target - fixed["covered"]),
        ("outside", total_target - covered_target - fixed["outside"]),
    ):
        working = [
            p for p in plans if p.operating_here and (p.where == "covered") == (group == "covered")
        ]
        drawn = [
            _lognormal(rnd, 160, 0.5, 2000)
            if p.is_key and group == "covered"
            else _lognormal(rnd, 40, 0.6, 800)
            if p.is_key
            else _lognormal(rnd, 16 if group == "covered" else 3, 0.8, 400)
            for p in working
        ]
        for plan, count in zip(working, _fit(drawn, target), strict=True):
            plan.white_collar = count

    # A few hundred firms name a contact person (masked like everyone's personal data).
    everything = plans + moved_out
    new_firms = [p for p in everything if p.enterprise.pk is None]
    with_contact = [p for p in new_firms if p.is_key]
    rest = [p for p in new_firms if not p.is_key and p.operating_here]
    with_contact += rnd.sample(rest, max(0, min(CONTACTS - len(with_contact), len(rest))))
    taken = set(Person.objects.values_list("id_number_hash", flat=True))
    people = []
    for plan in with_contact[:CONTACTS]:
        person = Person(org_unit=sub)
        while True:
            id_number = fake_id_number(rnd, region=rnd.choice(CONTACT_REGIONS))
            data = PersonData(fake.name(), id_number, fake_mobile(rnd), "")
            _apply_person_data(person, data)
            if person.id_number_hash not in taken:
                taken.add(person.id_number_hash)
                break
        people.append(person)
        plan.enterprise.contact = person
    # bulk_create gives the people their keys; saving a firm then takes its contact's key.
    Person.objects.bulk_create(people, batch_size=500)
    Enterprise.objects.bulk_create([p.enterprise for p in new_firms], batch_size=1000)
    EnterpriseProfile.objects.bulk_create([p.profile() for p in everything], batch_size=1000)

    councils, building_count, firms, white_collar = _coverage_figures(sub, today)
    if (councils, building_count, firms) != (COUNCIL_COUNT, COVERED_BUILDINGS, COVERED_ENTERPRISES):
        raise RuntimeError(
            f"coverage is {councils} councils, {building_count} buildings, {firms} enterprises"
        )
    if white_collar != covered_target:
        raise RuntimeError(f"covered white-collar workers: {white_collar} ≠ {covered_target}")


# --- council members, meetings, action items -------------------------------------------------------
REGULAR_TOPICS = [
    "楼宇停车资源统筹",
    "楼宇安全生产检查",
    "垃圾分类与公共区域保洁",
    "白领午间活动安排",
    "楼宇企业招聘需求汇总",
    "楼宇公共空间改造",
    "物业服务质量评议",
    "节假日安全保障",
    "党群服务站活动计划",
    "企业诉求梳理与反馈",
]
SEMINAR_TOPICS = [
    "人才政策专题研讨会",
    "楼宇经济提质增效专题研讨会",
    "企业融资对接专题研讨会",
    "企业数字化转型专题研讨会",
]
BLOCK_TOPICS = [
    "苏州河沿岸街区环境提升议事会",
    "天目西路街区交通组织议事会",
    "街区错峰共享停车议事会",
    "街区夜间经济与餐饮配套议事会",
]
EXPERTS = [
    "同济大学城市规划专家",
    "上海财经大学区域经济学者",
    "律师事务所合伙人",
    "区人社局政策专家",
    "银行普惠金融部负责人",
    "交通工程设计院工程师",
]
# title, owner ("物业" = the council's property manager), result when done
DECISIONS: list[tuple[str, str, str]] = [
    ("协调周边停车场错峰共享车位", "管理办", "已与两处停车场签订错峰共享协议，新增车位80个。"),
    ("组织楼宇专场招聘会", "营商办", "专场招聘会已举办，32家企业参加，达成意向岗位150个。"),
    ("更新消防设施并组织疏散演练", "物业", "消防设施已更新，疏散演练已完成。"),
    ("开设白领午间课堂", "党建办", "午间课堂已开课，每月两期。"),
    ("梳理企业融资需求并对接银行", "营商办", "已汇总12家企业需求并对接三家银行。"),
    ("改造楼宇公共休息区", "物业", "公共休息区改造完工并投入使用。"),
    ("完善垃圾分类投放点", "自治办", "投放点已调整，分类准确率明显提高。"),
    ("开展楼宇安全隐患排查", "平安办", "排查发现隐患5处，均已整改。"),
    ("邀请区人社局开展政策宣讲", "营商办", "政策宣讲会已举办，发放政策手册200份。"),
    ("协调公交高峰班次加密", "管理办", "公交公司已在早晚高峰加密班次。"),
    ("设立楼宇企业诉求收集点", "物业", "收集点已设在一楼大堂，每周汇总一次。"),
    ("组织成员单位志愿服务活动", "党建办", "志愿服务活动已开展，参与白领60余人。"),
]
OVERDUE_ACTIONS = 8


@demo_step("business.council_work", order=74)
def demo_council_work(ctx: DemoContext) -> None:
    """Members of each council (1+1+N), and a year of meetings whose decisions became action
    items: most done with a result, some open, a few overdue."""
    rnd = ctx.random
    sub = _sub(TMX)
    if sub is None:
        return
    today, now = timezone.localdate(), timezone.now()
    councils = list(
        Council.objects.filter(org_unit__path__startswith=sub.path)
        .prefetch_related("buildings")
        .order_by("name")
    )
    with_members = set(
        CouncilMember.objects.filter(council__in=councils).values_list("council_id", flat=True)
    )
    with_meetings = set(
        Meeting.objects.filter(council__in=councils).values_list("council_id", flat=True)
    )
    members: list[CouncilMember] = []
    meetings: list[tuple[Meeting, list[ActionItem]]] = []
    for council in councils:
        buildings = sorted(council.buildings.all(), key=lambda b: b.name)
        managers = list(
            dict.fromkeys(
                BuildingProfile.objects.filter(building__in=buildings)
                .order_by("building__name")
                .values_list("property_manager", flat=True)
            )
        )
        leading = list(
            Enterprise.objects.filter(
                building__in=buildings,
                profile__operating_here=True,
                profile__moved_out__isnull=True,
            ).order_by("-profile__white_collar_count", "pk")[: rnd.randint(6, 10)]
        )
        departments = rnd.sample(COUNCIL_DEPARTMENTS[3:], 2)
        if council.pk not in with_members:
            for n, firm in enumerate(leading):
                role = "召集人单位" if n == 0 else "副召集人单位" if n == 1 else "成员单位"
                members.append(
                    CouncilMember(
                        council=council, kind=MemberKind.ENTERPRISE, enterprise=firm, role=role
                    )
                )
            members += [
                CouncilMember(council=council, kind=MemberKind.PROPERTY, name=m, role="秘书长单位")
                for m in managers
            ]
            members.append(
                CouncilMember(
                    council=council,
                    kind=MemberKind.OTHER,
                    name=council.party_committee or "天目西路街道楼宇联合党委",
                    role="指导单位",
                )
            )
            members += [
                CouncilMember(council=council, kind=MemberKind.DEPARTMENT, name=d, role="联系部门")
                for d in [*COUNCIL_DEPARTMENTS[:3], *departments]
            ]
        attendees = [f.name for f in leading[:5]] + managers[:1]
        planned = _meetings_of(rnd, council, today, attendees, managers, departments)
        if council.pk not in with_meetings:
            meetings += planned
    CouncilMember.objects.bulk_create(members)
    Meeting.objects.bulk_create([m for m, _items in meetings])
    items = []
    for meeting, planned_items in meetings:
        for item in planned_items:
            item.meeting = meeting
            items.append(item)
    _settle_action_items(rnd, items, today, now)
    ActionItem.objects.bulk_create(items)
    overdue = ActionItem.objects.filter(
        council__in=councils,
        state__in=[ActionState.OPEN, ActionState.IN_PROGRESS],
        deadline__lt=today,
    ).count()
    ctx.out(
        f"    {Meeting.objects.filter(council__in=councils).count()} meetings, "
        f"{ActionItem.objects.filter(council__in=councils).count()} action items "
        f"({overdue} overdue)"
    )


def _meetings_of(
    rnd: random.Random,
    council: Council,
    today: date,
    attendees: list[str],
    managers: list[str],
    departments: list[str],
) -> list[tuple[Meeting, list[ActionItem]]]:
    """A regular meeting a month, two topic seminars, and block deliberations."""
    start = today - timedelta(days=365)
    planned: list[tuple[str, date, str]] = []
    month = date(start.year, start.month, 1)
    while month <= today:
        day = _workday_on_or_after(month + timedelta(days=rnd.randint(6, 16)))
        if start < day <= today:
            topic = rnd.choice(REGULAR_TOPICS)
            planned.append((MeetingKind.REGULAR, day, f"{month.month}月例会：{topic}"))
        month = (month + timedelta(days=32)).replace(day=1)
    for topic in rnd.sample(SEMINAR_TOPICS, 2):
        planned.append((MeetingKind.SEMINAR, _meeting_day(rnd, start, today), topic))
    blocks = 4 if council.name == BLOCK_COUNCIL else int(rnd.random() < 0.25)
    for topic in rnd.sample(BLOCK_TOPICS, blocks):
        planned.append((MeetingKind.BLOCK, _meeting_day(rnd, start, today), topic))
    out = []
    manager = managers[0] if managers else "物业公司"
    for kind, day, title in sorted(planned, key=lambda p: p[1]):
        count = rnd.randint(1, 2) if kind == MeetingKind.REGULAR else rnd.randint(2, 3)
        decisions = rnd.sample(DECISIONS, count)
        items = [
            ActionItem(
                council=council,
                title=t,
                owner=(manager if owner == "物业" else owner)[:100],
                deadline=day + timedelta(days=rnd.randint(14, 60)),
                result=result,  # kept only if the item is done (see _settle_action_items)
            )
            for t, owner, result in decisions
        ]
        experts = rnd.sample(EXPERTS, 2) if kind != MeetingKind.REGULAR else []
        depts = ["营商办", "党建办", *departments] if kind != MeetingKind.REGULAR else ["营商办"]
        topic = title.split("：", 1)[-1]
        meeting = Meeting(
            council=council,
            kind=kind,
            date=day,
            title=title,
            attendees=attendees,
            experts=experts,
            departments=depts,
            agenda=f"1. 通报上次议定事项办理情况；2. {topic}；3. 成员单位交流；4. 形成议定事项。",
            minutes=(
                f"会议由召集人{council.convener}主持，{len(attendees)}家成员单位参加"
                + (f"，邀请{'、'.join(experts)}到会指导" if experts else "")
                + f"。围绕“{topic}”交流讨论，议定："
                + "；".join(f"{i.title}（{i.owner}负责）" for i in items)
                + "。"
            ),
        )
        out.append((meeting, items))
    return out


def _meeting_day(rnd: random.Random, start: date, today: date) -> date:
    return _workday_on_or_before(_day_between(rnd, start + timedelta(days=7), today))


def _settle_action_items(
    rnd: random.Random, items: list[ActionItem], today: date, now: datetime
) -> None:
    """Past their deadline nearly all are done (a few late); a handful stay open, overdue."""
    past = [i for i in items if i.deadline < today]
    overdue = set(map(id, rnd.sample(past, min(OVERDUE_ACTIONS, len(past)))))
    for item in items:
        held = item.meeting.date
        result, item.result = item.result, ""
        if id(item) in overdue:
            item.state = rnd.choice([ActionState.OPEN, ActionState.IN_PROGRESS])
            continue
        if item.deadline < today:
            if rnd.random() < 0.05:
                item.state, item.result = ActionState.CANCELLED, "情况变化，经会议商定取消。"
                closed = _day_between(rnd, held + timedelta(days=3), item.deadline)
            else:
                item.state, item.result = ActionState.DONE, result
                late = rnd.random() < 0.12
                closed = (
                    item.deadline + timedelta(days=rnd.randint(1, 10))
                    if late
                    else _day_between(rnd, held + timedelta(days=3), item.deadline)
                )
            item.closed_at = min(_at(min(closed, today), rnd.randint(9 * 60, 17 * 60)), now)
        elif held + timedelta(days=3) < today and rnd.random() < 0.25:
            item.state, item.result = ActionState.DONE, result
            closed = _day_between(rnd, held + timedelta(days=3), today - timedelta(days=1))
            item.closed_at = _at(closed, rnd.randint(9 * 60, 17 * 60))
        else:
            item.state = rnd.choice([ActionState.OPEN, ActionState.IN_PROGRESS])


# --- leader liaison --------------------------------------------------------------------------------
LIAISON_ISSUES: list[tuple[str, str]] = [
    # issue, request type it may become
    ("楼宇周边停车位紧张，希望协调周边停车资源", "difficulty"),
    ("员工通勤高峰期公交班次不足", "difficulty"),
    ("希望了解最新的人才落户和安居政策", "policy"),
    ("区级研发费用补贴的申报流程不清楚", "policy"),
    ("招聘应届毕业生困难，希望街道组织专场招聘会", "recruitment"),
    ("扩大经营需要流动资金，希望对接银行", "financing"),
    ("计划扩租，希望推荐同区域的办公场地", "office_viewing"),
    ("拟设立分公司，咨询登记手续", "registration"),
    ("楼宇外立面店招审批周期较长", "difficulty"),
]
DUE_BUILDINGS = 3
LIAISON_INTERVALS = (90, 60)


@demo_step("business.liaison", order=75)
def demo_liaison(ctx: DemoContext) -> None:
    """Each key building assigned to the subdistrict leader and a paired department, with a
    year of visits; a few buildings are now due for their next visit."""
    rnd = ctx.random
    sub = _sub(TMX)
    users = _users("tmx_leader", "tmx_business")
    leader, officer = users.get("tmx_leader"), users.get("tmx_business")
    if sub is None or leader is None:
        return
    today = timezone.localdate()
    key = list(
        OfficeBuilding.objects.filter(
            org_unit__path__startswith=sub.path, profile__is_key=True
        ).order_by("name")
    )
    due = {b.pk for b in rnd.sample(key, min(DUE_BUILDINGS, len(key)))}
    assigned = set(
        LiaisonAssignment.objects.filter(building__in=key).values_list("building_id", flat=True)
    )
    visited = set(
        LiaisonVisit.objects.filter(building__in=key).values_list("building_id", flat=True)
    )
    assignments, visits = [], []
    visit_firms: list[list[int]] = []
    for n, building in enumerate(key):
        interval = LIAISON_INTERVALS[1] if n % 4 == 0 else LIAISON_INTERVALS[0]
        if building.pk not in assigned:
            assignments.append(
                LiaisonAssignment(
                    building=building,
                    leader=leader,
                    department=DEPARTMENTS[n % len(DEPARTMENTS)],
                    interval_days=interval,
                )
            )
        firms = list(
            Enterprise.objects.filter(
                building=building, profile__operating_here=True, profile__moved_out__isnull=True
            )
            .order_by("-profile__is_key", "-profile__white_collar_count", "pk")
            .values_list("pk", flat=True)[:6]
        )
        # Visits a little more often than the interval; a due building's last one is too old.
        last_allowed = (
            today - timedelta(days=interval + rnd.randint(3, 25))
            if building.pk in due
            else today - timedelta(days=3)
        )
        day = today - timedelta(days=365 - rnd.randint(0, 30))
        planned = []
        while day <= last_allowed:
            planned.append(_workday_on_or_before(day))
            day += timedelta(days=interval - rnd.randint(5, 25))
        if building.pk not in due and planned and planned[-1] + timedelta(days=interval) <= today:
            planned.append(_workday_on_or_before(last_allowed))
        for day in planned:
            issues = [i for i, _t in rnd.sample(LIAISON_ISSUES, rnd.choice([0, 1, 1, 2, 2, 3]))]
            chosen = rnd.sample(firms, min(len(firms), rnd.randint(2, 4)))
            note = f"走访{len(chosen)}家重点企业，了解经营情况和需求" + (
                f"，企业反映问题{len(issues)}项。" if issues else "，企业暂无新的诉求。"
            )
            visit = LiaisonVisit(building=building, date=day, issues=issues, note=note)
            if building.pk not in visited:
                visits.append(visit)
                visit_firms.append(chosen)
    LiaisonAssignment.objects.bulk_create(assignments)
    LiaisonVisit.objects.bulk_create(visits)
    visitors = LiaisonVisit.visitors.through
    firms_through = LiaisonVisit.enterprises.through
    visitors.objects.bulk_create(
        visitors(liaisonvisit_id=v.pk, user_id=u.pk)
        for v in visits
        for u in ([leader, officer] if officer else [leader])
    )
    firms_through.objects.bulk_create(
        firms_through(liaisonvisit_id=v.pk, enterprise_id=e)
        for v, chosen in zip(visits, visit_firms, strict=True)
        for e in chosen
    )
    ctx.out(
        f"    {LiaisonAssignment.objects.filter(building__in=key).count()} liaison buildings, "
        f"{LiaisonVisit.objects.filter(building__in=key).count()} visits"
    )


# --- policy library --------------------------------------------------------------------------------
POLICIES: list[tuple[str, str, str, int, str, list[str]]] = [
    # org, title, issuer, days ago, summary, industries
    (
        "JA",
        "静安区关于促进金融服务业高质量发展的若干意见",
        "静安区人民政府",
        620,
        "对新设或迁入的持牌金融机构、资产管理机构给予开办补贴和租房补贴，对高管人才给予奖励。",
        ["金融服务"],
    ),
    (
        "JA",
        "静安区支持总部企业发展的实施办法",
        "静安区商务委员会",
        540,
        "经认定的跨国公司地区总部和民营企业总部，可获得开办资助、能级提升奖励和人才支持。",
        ["金融服务", "贸易", "商务服务", "专业服务"],
    ),
    (
        "JA",
        "静安区促进专业服务业发展的若干政策",
        "静安区商务委员会",
        480,
        "支持法律、会计、咨询、人力资源等专业服务机构集聚发展，给予品牌建设和人才培养资助。",
        ["专业服务", "人力资源", "商务服务"],
    ),
    (
        "JA",
        "静安区数字经济发展扶持办法",
        "静安区科学技术委员会",
        430,
        "对软件和信息服务、数据服务企业的研发投入、首版次产品和数字化转型项目给予资助。",
        ["信息技术", "科技研发"],
    ),
    (
        "JA",
        "静安区科技创新企业研发费用补贴办法",
        "静安区科学技术委员会",
        400,
        "按企业年度研发费用的一定比例给予补贴，高新技术企业首次认定给予一次性奖励。",
        ["科技研发", "信息技术", "医药健康"],
    ),
    (
        "JA",
        "静安区人才安居工程实施办法",
        "静安区人才工作领导小组办公室",
        360,
        "为重点企业引进的骨干人才提供人才公寓和租房补贴，并提供子女入学、就医等服务保障。",
        [],
    ),
    (
        "JA",
        "静安区促进文化创意产业发展扶持办法",
        "静安区文化和旅游局",
        330,
        "支持影视、设计、演艺等文化创意企业发展，对原创作品和品牌活动给予资助。",
        ["文化创意"],
    ),
    (
        "JA",
        "静安区促进生命健康产业发展若干措施",
        "静安区发展和改革委员会",
        300,
        "支持医药研发、医疗器械和健康管理企业发展，对临床试验和产品注册给予补贴。",
        ["医药健康", "科技研发"],
    ),
    (
        "SH",
        "上海市中小企业融资担保贴息政策",
        "上海市财政局",
        280,
        "小微企业通过政府性融资担保机构获得的贷款，可按规定享受担保费补贴和贷款贴息。",
        [],
    ),
    (
        "SH",
        "上海市稳岗补贴申领指南",
        "上海市人力资源和社会保障局",
        250,
        "上年度未裁员或裁员率低于规定标准的参保企业，可申领失业保险稳岗返还。",
        [],
    ),
    (
        "SH",
        "上海市高校毕业生就业见习补贴办法",
        "上海市人力资源和社会保障局",
        220,
        "企业设立就业见习基地、接收高校毕业生见习的，按见习人数给予见习补贴和带教费。",
        ["人力资源"],
    ),
    (
        "JA",
        "静安区商务楼宇更新改造扶持办法",
        "静安区商务委员会",
        190,
        "对商务楼宇提升改造、智慧楼宇建设和楼宇党群服务阵地建设给予资金支持。",
        ["房地产服务"],
    ),
    (
        "JA",
        "静安区关于进一步优化营商环境的若干措施",
        "静安区人民政府",
        150,
        "推进企业开办“一网通办”、政策“免申即享”，完善企业诉求快速响应和办结反馈机制。",
        [],
    ),
    (
        "TMX",
        "天目西路街道楼宇企业服务十条",
        "天目西路街道办事处",
        120,
        "围绕登记注册、办公场地带看、人才招聘、企业融资、政策咨询五大免费服务，"
        "明确服务流程和响应时限。",
        [],
    ),
    (
        "TMX",
        "天目西路街道“和矩阵”楼务会工作规则",
        "天目西路街道党工委",
        90,
        "楼务会按“1+1+N”组织架构和“1+5”工作机制运行，议定事项明确责任单位和完成时限。",
        [],
    ),
]


@demo_step("business.policies", order=76)
def demo_policies(ctx: DemoContext) -> None:
    today = timezone.localdate()
    new = []
    for org_code, title, issuer, days_ago, summary, industries in POLICIES:
        org = _sub(org_code)
        if org is None or Policy.objects.filter(org_unit=org, title=title).exists():
            continue
        new.append(
            Policy(
                org_unit=org,
                title=title,
                issuer=issuer,
                issued_on=today - timedelta(days=days_ago),
                summary=summary,
                industries=industries,
            )
        )
    Policy.objects.bulk_create(new)
    ctx.out(f"    {Policy.objects.count()} policies")


# --- enterprise requests ---------------------------------------------------------------------------
REQUEST_VOLUME = {
    TMX: {
        "registration": 110,
        "office_viewing": 70,
        "recruitment": 95,
        "financing": 60,
        "policy": 135,
        "difficulty": 110,
    },
    BZ: {"registration": 4, "office_viewing": 3, "policy": 6, "difficulty": 5},
}
FROM_VISITS = 20
OWN_REQUESTS = 12  # filed by enterprise1's firm itself
OVERDUE_OPEN = {TMX: 6, BZ: 1}
DUE_SOON_OPEN = {TMX: 3, BZ: 0}
ACK_LATE, RESPONSE_LATE, RESOLVE_LATE = 0.04, 0.06, 0.08
OFFICERS = {TMX: ("tmx_business", "tmx_admin"), BZ: ("bz_admin", "bz_admin")}
REQUEST_TEXTS: dict[str, list[tuple[str, str]]] = {
    "registration": [
        ("办理分公司设立登记", "公司拟在本街道设立分公司，请协助办理设立登记。"),
        ("注册地址迁入本街道", "公司计划将注册地址迁入本街道楼宇，咨询迁移手续和所需材料。"),
        ("法定代表人变更登记", "公司法定代表人变更，希望了解一网通办的办理流程。"),
        ("经营范围变更登记", "公司新增业务，需要变更经营范围，请给予指导。"),
        ("新设企业开办", "股东拟新设一家企业，希望一次办好执照、刻章和税务登记。"),
    ],
    "office_viewing": [
        ("寻找约300平方米办公场地", "团队扩张，希望在地铁站附近找到约300平方米的办公室。"),
        ("同楼宇扩租一层", "现有办公面积不足，希望在本楼宇或相邻楼宇扩租。"),
        ("寻找可注册的小面积办公室", "初创团队需要50到80平方米、可注册的办公场地。"),
        ("总部办公选址", "公司拟将区域总部迁至静安，希望推荐甲级写字楼整层房源。"),
    ],
    "recruitment": [
        ("招聘软件开发人员", "急需招聘软件开发工程师10名，希望通过街道平台发布岗位。"),
        ("参加街道专场招聘会", "希望报名参加街道组织的楼宇专场招聘会。"),
        ("应届毕业生招聘及落户咨询", "计划招收应届毕业生，咨询落户打分和见习补贴。"),
        ("招聘财务和法务人员", "需要招聘有经验的财务和法务人员各2名。"),
        ("申请设立就业见习基地", "希望申请成为就业见习基地，请告知条件和流程。"),
    ],
    "financing": [
        ("申请中小企业贷款贴息", "公司获得银行贷款，咨询能否申请贷款贴息。"),
        ("对接银行授信", "因业务扩张需要流动资金，希望对接银行获得授信。"),
        ("了解政府性融资担保", "希望了解政府性融资担保的申请条件和担保费补贴。"),
        ("知识产权质押融资", "公司持有多项专利，咨询知识产权质押融资渠道。"),
    ],
    "policy": [
        ("咨询总部企业认定政策", "公司希望申请地区总部认定，咨询认定条件和扶持内容。"),
        ("研发费用补贴申请条件", "咨询区级研发费用补贴的申请条件和时间安排。"),
        ("人才安居政策咨询", "骨干员工租房压力大，咨询人才公寓和租房补贴政策。"),
        ("稳岗补贴申领", "咨询今年稳岗返还的申领条件和办理方式。"),
        ("高新技术企业认定辅导", "公司计划申报高新技术企业，希望获得辅导。"),
    ],
    "difficulty": [
        ("楼宇周边停车难", "员工和访客停车困难，希望协调周边停车资源。"),
        ("空调系统故障物业迟迟未修", "办公区空调故障一周，物业尚未修复，影响正常办公。"),
        ("员工通勤公交班次不足", "早晚高峰公交班次少，员工通勤时间长。"),
        ("店招审批周期长", "楼宇外立面店招审批周期较长，影响开业宣传。"),
        ("周边道路施工影响出入", "楼宇门前道路施工，车辆出入不便，希望协调施工时间。"),
        ("水电费用分摊争议", "与物业就公共区域水电费用分摊存在争议，希望街道协调。"),
    ],
}
RESULTS = {
    "registration": "已指导企业通过一网通办提交申请，登记已办结，执照已领取。",
    "office_viewing": "已推荐多处房源并陪同带看，企业已确定意向。",
    "recruitment": "岗位已在街道招聘平台发布，并邀请企业参加专场招聘会。",
    "financing": "已对接合作银行，企业已获得授信。",
    "policy": "已解读相关政策，并指导企业准备申报材料。",
    "difficulty": "已协调物业和相关部门，问题已解决，企业表示认可。",
}
REFERRED_TO = {
    "registration": "区市场监管局",
    "office_viewing": "区商务委",
    "recruitment": "区人社局",
    "financing": "区金融办",
    "policy": "区发展改革委",
    "difficulty": "区建管委",
}
RATINGS = [(5, 62), (4, 27), (3, 7), (2, 3), (1, 1)]
UNHAPPY_RATINGS = [(5, 25), (4, 35), (3, 25), (2, 10), (1, 5)]
RATING_COMMENTS = ["", "", "", "响应很快，谢谢街道。", "服务专业，很满意。", "希望后续继续跟进。"]
UNHAPPY_COMMENTS = ["等待时间有点长。", "办理进度没有及时告知。", ""]


@dataclass
class _Request:
    org_id: int
    enterprise_id: int
    rtype: RequestType
    received_at: datetime
    filer_id: int | None
    officer_id: int
    title: str
    description: str
    policy_id: int | None = None
    visit_id: int | None = None
    own: bool = False
    steps: list[tuple[str, str, datetime, int | None, str]] = field(default_factory=list)
    dues: dict[str, Any] = field(default_factory=dict)
    rating: int | None = None
    rating_comment: str = ""
    referred_to: str = ""
    number: str = ""

    @property
    def status(self) -> str:
        return self.steps[-1][1]

    def at(self, *statuses: str) -> datetime | None:
        return next((at for _f, to, at, _a, _n in self.steps if to in statuses), None)


class _RequestBuilder:
    """Plans one subdistrict's year of requests: who files what when, and how each went."""

    def __init__(self, rnd: random.Random, sub: OrgUnit, today: date, now: datetime) -> None:
        self.rnd, self.sub, self.today, self.now = rnd, sub, today, now
        self.types = {t.code: t for t in RequestType.objects.all()}
        firms = list(
            _active_here(sub)
            .order_by("pk")
            .values_list("pk", "profile__is_key", "profile__industry", "building__profile__is_key")
        )
        self.firms = [pk for pk, *_rest in firms]
        # Key firms and those in key buildings ask for more.
        self.firm_weights = [
            1.0 + 4.0 * bool(key) + 1.0 * bool(in_key) for _pk, key, _i, in_key in firms
        ]
        self.industry = {pk: industry for pk, _k, industry, _b in firms}
        self.policies = list(
            Policy.objects.filter(org_unit__code__in=sub.path.strip("/").split("/"))
            .order_by("issued_on", "pk")
            .values_list("pk", "issued_on", "industries")
        )
        days = [today - timedelta(days=d) for d in range(365, 0, -1)]
        self.days = days
        self.day_weights = [1.0 if is_workday(d) else 0.1 for d in days]

    def received(self) -> datetime:
        day = _weighted(self.rnd, self.days, self.day_weights)
        if is_workday(day):
            return _at(day, self.rnd.randint(9 * 60, 17 * 60 + 30))
        return _at(day, self.rnd.randint(10 * 60, 21 * 60))  # filed online at the weekend

    def policy_for(self, firm: int, day: date) -> int | None:
        issued = [(pk, industries) for pk, on, industries in self.policies if on <= day]
        if not issued or self.rnd.random() > 0.75:
            return None
        industry = self.industry.get(firm, "")
        fitting = [pk for pk, industries in issued if not industries or industry in industries]
        return self.rnd.choice(fitting or [pk for pk, _i in issued])

    def plan(
        self,
        code: str,
        *,
        officer_id: int,
        firm: int | None = None,
        received_at: datetime | None = None,
        filer_id: int | None = None,
        text: tuple[str, str] | None = None,
        visit_id: int | None = None,
    ) -> _Request:
        rnd = self.rnd
        rtype = self.types[code]
        firm = firm if firm is not None else _weighted(rnd, self.firms, self.firm_weights)
        received_at = received_at or self.received()
        title, description = text or rnd.choice(REQUEST_TEXTS[code])
        request = _Request(
            org_id=self.sub.pk,
            enterprise_id=firm,
            rtype=rtype,
            received_at=received_at,
            filer_id=filer_id or officer_id,
            officer_id=officer_id,
            title=title,
            description=description,
            policy_id=self.policy_for(firm, _local_day(received_at)) if code == "policy" else None,
            visit_id=visit_id,
            own=filer_id is not None and filer_id != officer_id,
        )
        request.dues = request_due_dates(rtype, received_at)
        self._timeline(request)
        return request

    def _timeline(self, r: _Request, *, keep_open: bool = False) -> None:
        """Acknowledge, first response and resolution, each mostly within its due step."""
        rnd, rtype, now = self.rnd, r.rtype, self.now
        received_day = _local_day(r.received_at)
        r.steps = [("", RequestStatus.RECEIVED, r.received_at, r.filer_id, "")]
        if rnd.random() < ACK_LATE:
            acked = r.dues["ack_due"] + timedelta(minutes=rnd.randint(30, 20 * 60))
        else:
            acked = r.received_at + timedelta(minutes=rnd.randint(10, rtype.ack_hours * 60 - 10))
        if rnd.random() < RESPONSE_LATE:
            response_wd = rtype.response_days + rnd.randint(1, 3)
        else:
            response_wd = rnd.randint(0, rtype.response_days)
        response_day = add_workdays(received_day, response_wd)
        responded = max(
            _at(response_day, rnd.randint(9 * 60 + 30, 17 * 60 + 30)),
            acked + timedelta(minutes=rnd.randint(20, 120)),
        )
        if rnd.random() < RESOLVE_LATE:
            resolve_wd = rtype.resolve_days + rnd.randint(1, 5)
        else:
            resolve_wd = rnd.randint(
                min(max(response_wd, 1), rtype.resolve_days), rtype.resolve_days
            )
        resolved = max(
            _at(add_workdays(received_day, resolve_wd), rnd.randint(10 * 60, 17 * 60 + 30)),
            responded,
        )
        if acked > now:
            return
        officer = r.officer_id
        r.steps.append((RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, acked, officer, ""))
        current = RequestStatus.ACKNOWLEDGED
        if responded > now:
            return
        if resolved > responded or keep_open:
            note = "已联系企业，了解具体需求，正在办理。"
            r.steps.append((current, RequestStatus.IN_PROGRESS, responded, officer, note))
            current = RequestStatus.IN_PROGRESS
        if resolved > now or keep_open:
            return
        ending = rnd.random()
        code = rtype.code
        if ending < 0.08:
            r.referred_to = REFERRED_TO[code]
            note = f"需由{r.referred_to}办理，已转办并告知企业。"
            r.steps.append((current, RequestStatus.REFERRED, resolved, officer, note))
        elif ending < 0.12:
            note = "企业表示问题已自行解决，诉求关闭。"
            r.steps.append((current, RequestStatus.CLOSED, resolved, officer, note))
            return
        else:
            r.steps.append((current, RequestStatus.RESOLVED, resolved, officer, RESULTS[code]))
        late = _local_day(resolved) > r.dues["resolve_due"]
        # enterprise1 leaves some of its resolved requests for the demo user to rate
        if rnd.random() < (0.5 if r.own else 0.78):
            scale = UNHAPPY_RATINGS if late else RATINGS
            r.rating = _weighted(rnd, [s for s, _w in scale], [w for _s, w in scale])
            comments = UNHAPPY_COMMENTS if r.rating <= 3 else RATING_COMMENTS
            r.rating_comment = rnd.choice(comments)
        closed = resolved + timedelta(days=rnd.randint(2, 10))
        if rnd.random() < 0.07 and closed < now:
            note = "企业确认办结，诉求关闭。"
            r.steps.append((r.status, RequestStatus.CLOSED, closed, officer, note))

    def reopen(self, r: _Request) -> None:
        """The same request, still being worked on: it has not reached its resolution."""
        r.rating, r.rating_comment, r.referred_to = None, "", ""
        self._timeline(r, keep_open=True)


def _request_of(r: _Request) -> EnterpriseRequest:
    acknowledged = r.at(RequestStatus.ACKNOWLEDGED)
    first_response = next(
        (
            at
            for _f, to, at, _a, _n in r.steps
            if to not in {RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED}
        ),
        None,
    )
    return EnterpriseRequest(
        org_unit_id=r.org_id,
        number=r.number,
        enterprise_id=r.enterprise_id,
        type=r.rtype,
        title=r.title,
        description=r.description,
        status=r.status,
        assigned_to_id=r.officer_id if acknowledged else None,
        referred_to=r.referred_to,
        policy_id=r.policy_id,
        liaison_visit_id=r.visit_id,
        received_at=r.received_at,
        acknowledged_at=acknowledged,
        first_response_at=first_response,
        resolved_at=r.at(RequestStatus.RESOLVED, RequestStatus.REFERRED),
        rating=r.rating,
        rating_comment=r.rating_comment,
        **r.dues,
    )


@demo_step("business.requests", order=77)
def demo_requests(ctx: DemoContext) -> None:
    """A year of requests of every type: most answered on time, some late, a few open and
    overdue, most of the resolved ones rated; some filed by enterprise1's firm, some raised on
    liaison visits, policy-advice requests linked to the library.

    A subdistrict that has requests already is left alone, so a second run adds nothing.
    """
    rnd = ctx.random
    today, now = timezone.localdate(), timezone.now()
    users = _users("tmx_business", "tmx_admin", "bz_admin", "enterprise1")
    for code, volume in REQUEST_VOLUME.items():
        sub = _sub(code)
        officers = [users[n] for n in OFFICERS[code] if n in users]
        if sub is None or not officers:
            continue
        if EnterpriseRequest.objects.filter(org_unit__path__startswith=sub.path).exists():
            ctx.out(f"    {sub.name}: requests already there")
            continue
        builder = _RequestBuilder(rnd, sub, today, now)
        if not builder.firms:
            continue

        # The business officer handles most; the subdistrict admin steps in now and then.
        plans = [
            builder.plan(
                type_code,
                officer_id=officers[0].pk if rnd.random() < 0.85 else officers[-1].pk,
            )
            for type_code, n in volume.items()
            for _ in range(n)
        ]
        own = Enterprise.objects.filter(
            contact__user__username="enterprise1", org_unit__path__startswith=sub.path
        ).first()
        contact_user = users.get("enterprise1")
        if own is not None and contact_user is not None:
            codes = list(volume)
            for n in range(OWN_REQUESTS):
                plans.append(
                    builder.plan(
                        codes[n % len(codes)],
                        officer_id=officers[0].pk,
                        firm=own.pk,
                        filer_id=contact_user.pk,
                    )
                )
        if code == TMX:
            plans += _from_visits(builder, sub, officers[0].pk)
        recent = [
            p
            for p in plans
            if p.status not in {RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED}
            and today - timedelta(days=25) <= p.dues["resolve_due"] < today
        ]
        for plan in rnd.sample(recent, min(OVERDUE_OPEN[code], len(recent))):
            builder.reopen(plan)
        # and a few due in the next working day are still being worked on
        soon = [
            p
            for p in plans
            if today <= p.dues["resolve_due"] <= add_workdays(today, DUE_SOON_WORKDAYS)
        ]
        settled = [p for p in soon if p.status not in REQUEST_OPEN]
        wanted = max(0, DUE_SOON_OPEN[code] - (len(soon) - len(settled)))
        for plan in rnd.sample(settled, min(wanted, len(settled))):
            builder.reopen(plan)
        _number_requests(sub.code, plans)
        requests = [_request_of(p) for p in plans]
        EnterpriseRequest.objects.bulk_create(requests, batch_size=1000)
        RequestTransition.objects.bulk_create(
            (
                RequestTransition(
                    request=request, from_status=f, to_status=t, actor_id=a, at=at, note=note
                )
                for plan, request in zip(plans, requests, strict=True)
                for f, t, at, a, note in plan.steps
            ),
            batch_size=2000,
        )
        rated = sum(1 for p in plans if p.rating is not None)
        ctx.out(f"    {sub.name}: {len(plans)} requests, {rated} rated")


def _from_visits(builder: _RequestBuilder, sub: OrgUnit, officer_id: int) -> list[_Request]:
    """Issues raised on liaison visits that became requests, filed the day of the visit."""
    kinds = dict(LIAISON_ISSUES)
    visits = list(
        LiaisonVisit.objects.filter(building__org_unit__path__startswith=sub.path)
        .exclude(issues=[])
        .prefetch_related("enterprises")
        .order_by("date", "pk")
    )
    out = []
    for visit in builder.rnd.sample(visits, min(FROM_VISITS, len(visits))):
        firms = sorted(e.pk for e in visit.enterprises.all())
        if not firms or not visit.issues:
            continue
        issue = builder.rnd.choice(visit.issues)
        out.append(
            builder.plan(
                kinds.get(issue, "difficulty"),
                officer_id=officer_id,
                firm=builder.rnd.choice(firms),
                received_at=_at(visit.date, 16 * 60 + builder.rnd.randint(0, 90)),
                text=(issue[:200], f"包联走访时企业反映：{issue}。"),
                visit_id=visit.pk,
            )
        )
    return out


def _number_requests(code: str, plans: list[_Request]) -> None:
    """Numbers as services._next_request_number gives them: per subdistrict and local year."""
    serials: Counter[int] = Counter()
    for plan in sorted(plans, key=lambda p: p.received_at):
        year = timezone.localtime(plan.received_at, TZ).year
        serials[year] += 1
        plan.number = f"{code}-QY{year}-{serials[year]:05d}"


# --- vacancies and viewings ------------------------------------------------------------------------
VACANCIES = {TMX: 40, BZ: 3}
VACANCY_FATES = {"let": 12, "withdrawn": 3}  # the rest stay open (TMX)
PROSPECT_VIEWINGS = {TMX: 55, BZ: 4}
GUIDES = {TMX: "tmx_business", BZ: "bz_admin"}
RENTS = {"A": (7.0, 12.0), "B": (4.5, 8.0)}


@dataclass
class _Vacancy:
    vacancy: Vacancy
    fate: str
    viewings: list[Viewing] = field(default_factory=list)


@demo_step("business.vacancies", order=78)
def demo_vacancies(ctx: DemoContext) -> None:
    """Vacant offices across the buildings and a year of viewings: some led to a move-in (the
    vacancy is let), others were declined or cancelled, a few are booked for the coming days."""
    rnd, fake = ctx.random, ctx.fake
    today = timezone.localdate()
    users = _users(*GUIDES.values())
    for code, count in VACANCIES.items():
        sub = _sub(code)
        guide = users.get(GUIDES[code])
        if sub is None:
            continue
        if Vacancy.objects.filter(building__org_unit__path__startswith=sub.path).exists():
            ctx.out(f"    {sub.name}: vacancies already there")
            continue
        buildings = list(
            OfficeBuilding.objects.filter(org_unit__path__startswith=sub.path)
            .select_related("profile")
            .order_by("name")
        )
        if not buildings:
            continue
        # Emptier buildings have more vacancies.
        weights = [
            float(110 - (b.profile.occupancy if hasattr(b, "profile") else 90)) for b in buildings
        ]
        let = VACANCY_FATES["let"] if code == TMX else 1
        withdrawn = VACANCY_FATES["withdrawn"] if code == TMX else 0
        fates = ["let"] * let + ["withdrawn"] * withdrawn + ["open"] * (count - let - withdrawn)
        plans = []
        for fate in fates:
            building = _weighted(rnd, buildings, weights)
            grade = building.profile.grade if hasattr(building, "profile") else ""
            low, high = RENTS.get(grade, (3.0, 5.5))
            rent = rnd.uniform(low, high)
            if fate != "open":
                available = today - timedelta(days=rnd.randint(60, 330))
            elif rnd.random() < 0.8:
                available = today - timedelta(days=rnd.randint(0, 200))
            else:  # free from a date to come
                available = today + timedelta(days=rnd.randint(1, 60))
            plans.append(
                _Vacancy(
                    Vacancy(
                        building=building,
                        floor=rnd.randrange(2, max(building.floors, 3)),
                        area=Decimal(f"{rnd.uniform(80, 1500):.1f}"),
                        rent_min=Decimal(f"{rent:.2f}"),
                        rent_max=Decimal(f"{rent + rnd.uniform(0.5, 2.5):.2f}"),
                        available_from=available,
                        status={"let": VacancyStatus.LET, "withdrawn": VacancyStatus.WITHDRAWN}.get(
                            fate, VacancyStatus.OPEN
                        ),
                    ),
                    fate,
                )
            )
        viewings = _plan_viewings(rnd, fake, sub, plans, today, guide, PROSPECT_VIEWINGS[code])
        Vacancy.objects.bulk_create([p.vacancy for p in plans])
        Viewing.objects.bulk_create(viewings)
        moved_in = sum(1 for v in viewings if v.outcome == ViewingOutcome.MOVED_IN)
        ctx.out(
            f"    {sub.name}: {len(plans)} vacancies, {len(viewings)} viewings, {moved_in} moved in"
        )


def _plan_viewings(
    rnd: random.Random,
    fake: Faker,
    sub: OrgUnit,
    plans: list[_Vacancy],
    today: date,
    guide: User | None,
    prospects: int,
) -> list[Viewing]:
    """Viewings of office-space requests and of prospects, then outcomes that fit each
    vacancy's fate: a let vacancy's last viewing is the move-in."""
    requests = list(
        EnterpriseRequest.objects.filter(
            org_unit__path__startswith=sub.path,
            type__code="office_viewing",
            resolved_at__isnull=False,
        ).order_by("received_at", "pk")
    )
    for request in requests:
        if rnd.random() < 0.5:
            continue
        start = _local_day(request.received_at) + timedelta(days=1)
        end = _local_day(request.resolved_at) if request.resolved_at else start
        day = _day_between(rnd, start, max(start, end))
        fitting = [p for p in plans if p.vacancy.available_from <= day + timedelta(days=45)]
        if not fitting:
            continue
        rnd.choice(fitting).viewings.append(
            Viewing(
                enterprise_id=request.enterprise_id,
                date=day,
                guide=guide,
                request=request,
                note="诉求带看",
            )
        )
    for _ in range(prospects):
        plan = rnd.choice(plans)
        low = plan.vacancy.available_from - timedelta(days=30)
        day = _day_between(rnd, low, today + timedelta(days=10))
        plan.viewings.append(
            Viewing(prospect_name=f"{fake.company()}", date=day, guide=guide, note="")
        )
    out: list[Viewing] = []
    for plan in plans:
        plan.viewings.sort(key=lambda v: v.date)
        if plan.fate == "let":
            past = [v for v in plan.viewings if v.date < today - timedelta(days=3)]
            if not past:
                day = _day_between(rnd, plan.vacancy.available_from, today - timedelta(days=4))
                past = [Viewing(prospect_name=fake.company(), date=day, guide=guide)]
            *before, last = past
            for viewing in before:
                viewing.outcome = _weighted(
                    rnd, [ViewingOutcome.DECLINED, ViewingOutcome.CANCELLED], [4, 1]
                )
            last.outcome, last.note = ViewingOutcome.MOVED_IN, last.note or "已签约入驻"
            plan.viewings = past
        else:
            kept = []
            for viewing in plan.viewings:
                if viewing.date >= today - timedelta(days=3):
                    if plan.fate == "withdrawn":
                        continue  # nothing is booked on a withdrawn vacancy
                    viewing.outcome = ViewingOutcome.BOOKED
                else:
                    viewing.outcome = _weighted(
                        rnd, [ViewingOutcome.DECLINED, ViewingOutcome.CANCELLED], [4, 1]
                    )
                kept.append(viewing)
            plan.viewings = kept
        for viewing in plan.viewings:
            viewing.vacancy = plan.vacancy
        out += plan.viewings
    return out
