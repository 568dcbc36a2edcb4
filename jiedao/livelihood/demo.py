"""Demo data of the livelihood module (民生): Beautiful Blocks and the self-governance fund.

天目西路街道's records add up to the source's figures: 39 Beautiful Block projects and 58
self-governance fund projects landed (completed or evaluated) in its five years 2020–2024,
among them the gable wall at 光复路909号 (2023) and 展望小区's "望花园" (2021) with its
"望花园2.0" (2024). A few projects of those years were rejected or withdrawn, and about ten
projects of the current year stand at the earlier stages. 北站街道 has a small self-governance
programme of its own, so that scoping shows.

Every project is walked through its stages with the module's services, acting as the demo
users who would do each step, with historical dates where the services take them. Everything
is seeded; records are keyed by natural keys (programme × committee × title, fund × year,
username), so a second run finds them and adds nothing.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db.models import Case, DateTimeField, Value, When
from django.utils import timezone
from PIL import Image, ImageDraw

from jiedao.accounts.models import Membership, Role, User
from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import Compound, Notification, OrgKind, OrgUnit, Person
from jiedao.core.services import notification_mark_read
from jiedao.livelihood import selectors, services
from jiedao.livelihood.models import (
    DONE_STAGES,
    STAGE_ORDER,
    Feasibility,
    Fund,
    MilestoneState,
    PartyKind,
    Photo,
    PhotoKind,
    PlaceKind,
    Programme,
    ProgrammeKind,
    Project,
    ProjectTransition,
    ProposerKind,
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    ReviewCriterion,
    Stage,
    Survey,
    SurveyStatus,
)

BB = ProgrammeKind.BEAUTIFUL_BLOCK.value
SG = ProgrammeKind.SELF_GOVERNANCE.value

# --- the source's figures -------------------------------------------------------------------
# "五年来" in an article of 2024: the five years 2020–2024. Landed projects per year; they sum
# to the 39 Beautiful Blocks and the 58 self-governance fund projects of the source.
SOURCE_YEARS = (2020, 2021, 2022, 2023, 2024)
LANDED_PER_YEAR = {
    BB: {2020: 6, 2021: 8, 2022: 7, 2023: 9, 2024: 9},
    SG: {2020: 10, 2021: 11, 2022: 12, 2023: 12, 2024: 13},
}
HEADLINE = {BB: 39, SG: 58}
assert {k: sum(v.values()) for k, v in LANDED_PER_YEAR.items()} == HEADLINE

BB_CRITERIA = [("设计方案", 30), ("居民受益", 30), ("造价合理", 20), ("长效管理", 20)]
SG_CRITERIA = [("居民参与", 30), ("居民受益", 30), ("造价合理", 20), ("长效管理", 20)]
PROGRAMMES: dict[str, list[tuple[str, str, str, str, list[tuple[str, int]]]]] = {
    # subdistrict: kind, name, brand, description, review criteria (name, weight)
    "TMX": [
        (
            BB,
            "美丽街区",
            "",
            "街道统筹的公共空间微更新：街角、沿街立面、建筑山墙和道路沿线，"
            "经现场踏勘、群众意见征询和专家方案评审后实施。",
            BB_CRITERIA,
        ),
        (
            SG,
            "自治金",
            "添睦",
            "“添睦自治金”支持的居民自治微项目：居民提议，业委会、物业、楼组长和志愿者"
            "共商共议，居委会组织实施。",
            SG_CRITERIA,
        ),
    ],
    "BZ": [
        (
            SG,
            "自治金",
            "",
            "北站街道的居民自治微项目，由居委会组织居民共商共议、共同实施。",
            SG_CRITERIA,
        ),
    ],
}

EXPERTS = ("expert1", "expert2", "expert3")
DISTRICT_EXPERT = "expert3"  # in the district's pool (静安区), so 北站街道 may invite them too
# Resident accounts for online answers: this many people of each committee get one.
RESIDENTS_PER_COMMITTEE = 15
RESIDENTS_NAMED_COMMITTEES = {"TMX-HX": 30, "TMX-GF": 30}
# Compounds being demolished, expropriated or rebuilt (see renewal): no micro-projects there.
RENEWAL_COMPOUNDS = {"蕃瓜弄小区", "铁路新村", "毛家弄小区"}

ROADS = {
    "TMX-S": ["天目西路", "天目中路", "恒丰路", "长安路", "梅园路", "光复路", "新桥路", "安庆路"],
    "TMX-N": ["共和新路", "中兴路", "大统路", "交通路", "民德路"],
    "BZ": ["西藏北路", "海昌路", "晋元路", "天潼路"],
}
BB_TITLES = [
    (PlaceKind.STREET_CORNER, "{road}{cross}街角口袋公园", "{road}与{cross}交叉口"),
    (PlaceKind.STREET_CORNER, "{road}{cross}路口绿化小品", "{road}与{cross}交叉口"),
    (PlaceKind.BUILDING_WALL, "{road}{num}号山墙美化", "{road}{num}号山墙"),
    (PlaceKind.BUILDING_WALL, "{road}{num}号沿街立面整治", "{road}{num}号沿街立面"),
    (PlaceKind.STREET, "{road}沿线绿化提升", "{road}沿线"),
    (PlaceKind.STREET, "{road}人行道微更新", "{road}人行道"),
    (PlaceKind.STREET, "{road}店招店牌整治", "{road}沿街商铺"),
    (PlaceKind.STREET, "{road}非机动车停放点规范", "{road}沿线"),
    (PlaceKind.OTHER, "{road}围墙彩绘", "{road}沿线围墙"),
]
SG_ITEMS = [
    ("楼道微更新", "楼道"),
    ("睦邻议事角", "活动室门前"),
    ("非机动车棚改造", "非机动车棚"),
    ("垃圾厢房美化", "垃圾厢房"),
    ("健身角翻新", "健身角"),
    ("口袋花园", "宅间绿地"),
    ("晾衣架加装", "宅前空地"),
    ("休憩座椅增设", "中心绿地"),
    ("儿童游戏角", "宅间空地"),
    ("楼组文化墙", "楼道口"),
    ("绿植认养角", "小区入口"),
    ("共享工具屋", "物业用房旁"),
    ("宣传栏更新", "小区主通道"),
    ("雨棚修缮", "楼栋出入口"),
]
PAYEES = [
    "沪景园林工程有限公司",
    "静和建筑装饰工程有限公司",
    "绿苑景观设计事务所",
    "申美城市空间设计有限公司",
    "睦邻社区营造服务中心",
]
TEXTS = {
    BB: [
        "希望施工期间注意噪音，避开午休时间。",
        "建议多种些四季常绿的植物。",
        "夜间照明要亮一些，老人晚上走路安全。",
        "改造后要有人负责日常养护，别几年就旧了。",
        "支持！这里早就该弄了。",
        "希望保留原来的老树。",
        "颜色不要太花哨，和周边协调一些。",
        "路口转角视线要好，注意行人安全。",
        "可以加几张座椅，方便老人歇脚。",
    ],
    SG: [
        "希望多种些花草，夏天也凉快。",
        "座椅旁边最好加个遮阳棚。",
        "建议楼组长牵头排个养护值班表。",
        "支持！大家一起出力。",
        "晚上照明要跟上。",
        "希望考虑老人和小孩的安全。",
        "垃圾不要堆在这里，要有人管。",
        "材料选耐用一点的，别用两年就坏。",
        "可以请志愿者一起认领花草。",
    ],
}
MULTIPLE_CHOICES = {
    BB: ["绿化景观", "休憩座椅", "夜间照明", "文化元素", "无障碍设施"],
    SG: ["绿化花草", "休憩座椅", "晾晒设施", "儿童活动", "日常养护"],
}
AGREE = ["同意", "基本同意", "不同意"]
REVIEW_REASONS = {
    Feasibility.FEASIBLE: [
        "方案贴合居民需求，造价合理，建议按方案实施。",
        "设计简洁实用，材料耐久，养护责任明确，可行。",
        "征询结果支持度高，方案可行，注意施工期间的安全围护。",
    ],
    Feasibility.WITH_CHANGES: [
        "总体可行；建议调整部分材料以降低造价，并明确后期养护单位。",
        "方案可行，建议减少硬质铺装、增加绿化比例后实施。",
    ],
    Feasibility.NOT_FEASIBLE: [
        "造价偏高，后期养护责任不明确，建议暂缓。",
        "方案与周边环境不协调，居民受益面有限，不建议实施。",
    ],
}
EVALUATIONS = [
    "回访居民满意度良好，设施使用正常，纳入长效养护。",
    "项目按期完工，居民评价良好；养护责任已落实到物业和志愿者。",
    "整体效果良好，个别设施已按居民意见调整。",
]


# --- the plan ---------------------------------------------------------------------------------
@dataclass
class Visit:
    day: date
    findings: str
    leaders: str = ""
    staff: str = ""
    residents: str = ""
    photos: list[str] = field(default_factory=list)  # spots photographed on the visit


@dataclass
class Story:
    """How a project went: the dates and contents of each step. A project that stops early
    (rejected, withdrawn, or standing at an earlier stage now) uses only the first steps."""

    stage_at: dict[str, datetime]
    visits: list[Visit]
    survey_title: str
    questions: list[dict[str, Any]]
    survey_opened: datetime | None
    survey_closed: datetime | None
    closes_on: date
    online: int
    paper: int
    points: list[str]
    agree: float  # share of respondents in favour
    texts: list[str]
    published_texts: int
    reviews: list[tuple[str, datetime | None, str]]  # expert, submitted at, feasibility
    milestones: list[tuple[str, int, date, date | None]]  # title, weight, planned, done
    spendings: list[tuple[date, Decimal, str, str]]  # day, amount, payee, what
    note: str  # rejection, withdrawal or evaluation
    pairs: list[tuple[str, date, date | None, bool]]  # spot, before, after taken, GPS
    respondents: list[str] = field(default_factory=list)  # usernames who must answer online


@dataclass
class Spec:
    kind: str
    org: str
    year: int
    title: str
    place_kind: str
    place_name: str
    proposed_on: date
    end: str  # the stage it stands at now
    budget: Decimal
    allocated: Decimal
    seed: int
    stop: str = ""  # for rejected/withdrawn: the stage it was in
    address: str = ""
    compound: str = ""
    point: tuple[float, float] | None = None
    theme: str = ""
    description: str = ""
    proposer_kind: str = ProposerKind.COMMITTEE
    proposer_name: str = ""
    parties: list[tuple[str, str, str]] = field(default_factory=list)
    published: bool = True
    photo_pairs: int = 0
    previous: str = ""  # title of the version before
    story: Story | None = None  # a named project's own story (else generated)
    survey_state: str = "closed"  # for projects standing in opinion_survey: draft/open
    committee: str = ""  # the committee's name

    @property
    def last_stage(self) -> str:
        return self.stop or self.end

    def reaches(self, stage: str) -> bool:
        if stage not in STAGE_ORDER:
            return stage == self.end
        return STAGE_ORDER.index(Stage(stage)) <= STAGE_ORDER.index(Stage(self.last_stage))


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _money(value: float, step: int = 100) -> Decimal:
    return Decimal(int(value) // step * step)


def _round_up(value: Decimal, step: int) -> Decimal:
    return (value / step).quantize(Decimal("1"), rounding=ROUND_CEILING) * step


@dataclass
class Place:
    org: OrgUnit
    area: str
    box: tuple[float, float, float, float]  # west, south, east, north
    compounds: list[Compound]


def _places(sub_code: str) -> dict[str, Place]:
    sub = OrgUnit.objects.get(code=sub_code)
    out: dict[str, Place] = {}
    committees = OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=sub.path
    ).select_related("parent")
    for org in committees.order_by("code"):
        ring = (org.boundary or {}).get("coordinates", [[[121.455, 31.249]]])[0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        area = org.parent.code if org.parent and org.parent.kind == OrgKind.AREA else sub_code
        out[org.code] = Place(
            org,
            area,
            (min(xs), min(ys), max(xs), max(ys)),
            [
                c
                for c in Compound.objects.filter(org_unit=org).order_by("name")
                if c.name not in RENEWAL_COMPOUNDS
            ],
        )
    return out


def _point_in(rnd: random.Random, place: Place) -> tuple[float, float]:
    w, s, e, n = place.box
    return (
        round(w + (e - w) * rnd.uniform(0.1, 0.9), 6),
        round(s + (n - s) * rnd.uniform(0.1, 0.9), 6),
    )


class Planner:
    """Draws the generic projects' titles, places, budgets and dates (no database reads
    after construction, so a second run draws the same plan)."""

    def __init__(self, rnd: random.Random, places: dict[str, Place]) -> None:
        self.rnd = rnd
        self.places = places
        self.titles: set[str] = set()

    def _bb_title(self, place: Place) -> tuple[str, str, str, str]:
        rnd = self.rnd
        roads = ROADS.get(place.area, ROADS["TMX-S"])
        for _ in range(200):
            place_kind, title, where = rnd.choice(BB_TITLES)
            road, cross = rnd.sample(roads, 2)
            num = rnd.randrange(10, 1200)
            values = {"road": road, "cross": cross, "num": num}
            t = title.format(**values)
            if t not in self.titles and not t.startswith("光复路909号"):
                self.titles.add(t)
                address = f"{road}{num}号" if place_kind == PlaceKind.BUILDING_WALL else ""
                return t, str(place_kind), where.format(**values), address
        raise RuntimeError("no title left")

    def _sg_title(self, place: Place) -> tuple[str, str, Compound | None]:
        rnd = self.rnd
        for _ in range(200):
            item, where = rnd.choice(SG_ITEMS)
            compound = rnd.choice(place.compounds) if place.compounds else None
            prefix = compound.name if compound else place.org.name.removesuffix("居委会")
            t = f"{prefix}{item}"
            if t not in self.titles:
                self.titles.add(t)
                return t, f"{prefix}{where}", compound
        raise RuntimeError("no title left")

    def spec(
        self,
        kind: str,
        org: str,
        year: int,
        end: str,
        *,
        stop: str = "",
        proposed_on: date | None = None,
    ) -> Spec:
        rnd = self.rnd
        place = self.places[org]
        committee = place.org.name
        if proposed_on is None:
            proposed_on = date(year, 1, 10) + timedelta(days=rnd.randrange(0, 130))
        seed = rnd.randrange(2**32)
        if kind == BB:
            title, place_kind, where, address = self._bb_title(place)
            budget = _money(rnd.uniform(120_000, 480_000), 1000)
            proposer = rnd.choice(
                [
                    (ProposerKind.DEPARTMENT, "天目西路街道"),
                    (ProposerKind.COMMITTEE, committee),
                    (ProposerKind.COMMITTEE, committee),
                ]
            )
            parties = [
                (PartyKind.COMMITTEE, committee, "组织居民意见征询"),
                (PartyKind.DESIGNER, rnd.choice(PAYEES[2:4]), "方案设计"),
                (PartyKind.DEPARTMENT, "街道城市管理部门", "统筹实施"),
            ]
            point = _point_in(rnd, place)
            compound_name = ""
            theme = rnd.choice(["", "", "绿色生态", "城市记忆", "海派风情", "安全宜行"])
            description = f"对{where}进行整体美化，改善沿街环境和行人体验。"
        else:
            title, where, compound = self._sg_title(place)
            place_kind = str(PlaceKind.COMPOUND)
            address = compound.address if compound else ""
            budget = _money(rnd.uniform(15_000, 80_000), 500)
            prefix = compound.name if compound else committee
            proposer = rnd.choice(
                [
                    (ProposerKind.RESIDENT, "居民"),
                    (ProposerKind.COMMITTEE, committee),
                    (ProposerKind.OWNERS_COMMITTEE, f"{prefix}业委会"),
                    (ProposerKind.PROPERTY_COMPANY, f"{prefix}物业"),
                ]
            )
            parties = [
                p
                for p in [
                    (PartyKind.OWNERS_COMMITTEE, f"{prefix}业委会", "参与方案讨论"),
                    (PartyKind.PROPERTY_COMPANY, f"{prefix}物业", "日常维护"),
                    (PartyKind.GROUP_LEADER, f"{prefix}楼组长", "收集楼组居民意见"),
                    (PartyKind.VOLUNTEER, f"{committee}志愿者服务队", "认领养护"),
                ]
                if rnd.random() < 0.75
            ] or [(PartyKind.GROUP_LEADER, f"{prefix}楼组长", "收集楼组居民意见")]
            point = (
                (float(compound.longitude), float(compound.latitude))
                if compound and compound.longitude is not None and compound.latitude is not None
                else _point_in(rnd, place)
            )
            compound_name = compound.name if compound else ""
            theme = ""
            description = f"居民提出改善{where}，经共商共议后申请自治金实施。"
        allocated = _money(float(budget) * rnd.uniform(0.85, 1.0), 100)
        published = end not in (Stage.REJECTED, Stage.WITHDRAWN) and rnd.random() < 0.92
        return Spec(
            kind=kind,
            org=org,
            year=year,
            title=title,
            place_kind=place_kind,
            place_name=where,
            proposed_on=proposed_on,
            end=end,
            stop=stop,
            budget=budget,
            allocated=allocated,
            seed=seed,
            address=address,
            compound=compound_name,
            point=point,
            theme=theme,
            description=description,
            proposer_kind=str(proposer[0]),
            proposer_name=proposer[1],
            parties=[(str(k), n, r) for k, n, r in parties],
            published=published,
            committee=committee,
        )


def _questions(kind: str, title: str) -> list[dict[str, Any]]:
    return [
        {"kind": QuestionKind.SINGLE, "text": f"您是否同意实施“{title}”？", "choices": AGREE},
        {
            "kind": QuestionKind.MULTIPLE,
            "text": "您最希望改造后增加哪些内容？（可多选）",
            "choices": MULTIPLE_CHOICES[kind],
        },
        {
            "kind": QuestionKind.SCALE,
            "text": "您对方案的总体满意度",
            "scale_min": 1,
            "scale_max": 5,
        },
        {"kind": QuestionKind.TEXT, "text": "其他意见和建议", "required": False},
    ]


def generic_story(spec: Spec, rnd: random.Random, today: date) -> Story:
    """Dates and contents of an ordinary project, laid out from its proposal date."""
    d = spec.proposed_on
    stage_at: dict[str, datetime] = {Stage.PROPOSED: _at(d, 9)}
    cur = d + timedelta(days=rnd.randrange(4, 12))
    stage_at[Stage.SITE_SURVEY] = _at(cur, 9, 30)
    visits = [
        Visit(
            cur + timedelta(days=rnd.randrange(1, 6)),
            rnd.choice(
                [
                    "现场设施老化，环境杂乱，居民反映强烈。",
                    "场地条件可以满足改造，需注意排水和管线。",
                    "现状破损明显，与周边环境不协调。",
                    "空间局促，方案需兼顾通行和休憩。",
                ]
            ),
            leaders=rnd.choice(["", "街道分管副主任", "街道党工委副书记"]),
            staff="民生办、居委会社工",
            residents=rnd.choice(["", "居民代表2名", "楼组长、业委会代表"]),
        )
    ]
    cur = visits[-1].day + timedelta(days=rnd.randrange(5, 14))
    stage_at[Stage.OPINION_SURVEY] = _at(cur, 10)
    opened = _at(cur + timedelta(days=rnd.randrange(1, 3)), 9)
    closes_on = opened.date() + timedelta(days=rnd.randrange(10, 16))
    closed = _at(closes_on, 17)
    cur = closes_on + timedelta(days=rnd.randrange(2, 7))
    stage_at[Stage.EXPERT_REVIEW] = _at(cur, 10)
    # Beautiful Blocks are reviewed by two experts, a self-governance micro-project by one.
    experts = rnd.sample(EXPERTS, 2 if spec.kind == BB else 1)
    if not spec.org.startswith("TMX"):
        # Other subdistricts draw on the district's expert pool only (expert3, at 静安区).
        experts = [DISTRICT_EXPERT]
    rejected_here = spec.end == Stage.REJECTED and spec.stop == Stage.EXPERT_REVIEW
    reviews: list[tuple[str, datetime | None, str]] = []
    for e in experts:
        cur += timedelta(days=rnd.randrange(2, 6))
        feas = (
            Feasibility.NOT_FEASIBLE
            if rejected_here
            else (Feasibility.FEASIBLE if rnd.random() < 0.75 else Feasibility.WITH_CHANGES)
        )
        reviews.append((e, _at(cur, 15), str(feas)))
    cur += timedelta(days=rnd.randrange(3, 8))
    stage_at[Stage.APPROVED] = _at(cur, 11)
    cur += timedelta(days=rnd.randrange(7, 15))
    stage_at[Stage.IN_WORKS] = _at(cur, 9)
    titles = (
        ["场地清理与主体施工", "绿化与设施安装", "竣工验收"]
        if spec.kind == BB
        else ["材料采购", "施工安装", "认养与启用"]
    )
    milestones: list[tuple[str, int, date, date | None]] = []
    for t in titles:
        cur += timedelta(days=rnd.randrange(8, 25))
        milestones.append((t, rnd.choice([1, 2, 2, 3]), cur, cur + timedelta(rnd.randrange(0, 4))))
    done = max(m[3] for m in milestones if m[3] is not None)
    completed = done + timedelta(days=rnd.randrange(1, 5))
    stage_at[Stage.COMPLETED] = _at(completed, 16)
    evaluated = min(completed + timedelta(days=rnd.randrange(30, 90)), today)
    stage_at[Stage.EVALUATED] = _at(evaluated, 10)
    payee = rnd.choice(PAYEES[:2] if spec.kind == BB else PAYEES[:2] + PAYEES[4:])
    a = spec.allocated
    spent = _money(float(a) * rnd.uniform(0.9, 1.0), 100)
    first = _money(float(a) * 0.3, 100)
    spendings = [
        (stage_at[Stage.IN_WORKS].date() + timedelta(days=3), first, payee, "工程预付款"),
        (
            min(completed + timedelta(days=rnd.randrange(5, 25)), today),
            spent - first,
            payee,
            "工程结算款",
        ),
    ]
    note = ""
    if spec.end == Stage.EVALUATED:
        note = rnd.choice(EVALUATIONS)
    elif spec.end == Stage.REJECTED:
        note = {
            str(Stage.EXPERT_REVIEW): "专家评审认为造价偏高、后期养护无保障，不予立项。",
            str(Stage.OPINION_SURVEY): "意见征询中多数居民不同意，不予立项。",
        }.get(spec.stop, "不符合本年度项目条件。")
    elif spec.end == Stage.WITHDRAWN:
        note = {
            str(Stage.PROPOSED): "提议方另有安排，撤回提议。",
            str(Stage.SITE_SURVEY): "该处产权单位另有改造计划，撤回。",
            str(Stage.APPROVED): "业委会换届，项目暂缓实施，资金不再占用。",
        }.get(spec.stop, "撤回。")
    if spec.end in (Stage.REJECTED, Stage.WITHDRAWN):
        # Decided a few days after the last thing that happened in the stage it stopped in.
        last_in_stage = {
            Stage.PROPOSED: stage_at[Stage.PROPOSED],
            Stage.SITE_SURVEY: _at(visits[-1].day, 16),
            Stage.OPINION_SURVEY: closed,
            Stage.EXPERT_REVIEW: max(t for _e, t, _f in reviews if t is not None),
            Stage.APPROVED: stage_at[Stage.APPROVED],
        }[Stage(spec.stop)]
        stage_at[spec.end] = last_in_stage + timedelta(days=rnd.randrange(3, 12))
    pairs: list[tuple[str, date, date | None, bool]] = []
    for i in range(spec.photo_pairs):
        pairs.append((["改造点位全景", "细部近景"][i % 2], visits[0].day, completed, i == 0))
    return Story(
        stage_at=stage_at,
        visits=visits,
        survey_title=f"“{spec.title}”方案意见征询",
        questions=_questions(spec.kind, spec.title),
        survey_opened=opened,
        survey_closed=closed,
        closes_on=closes_on,
        online=rnd.randrange(3, 9),
        paper=rnd.randrange(3, 10),
        points=[f"{spec.committee}活动室", "小区门岗"],
        agree=0.2 if spec.stop == Stage.OPINION_SURVEY else rnd.uniform(0.75, 0.95),
        texts=TEXTS[spec.kind],
        published_texts=rnd.choice([0, 1]),
        reviews=reviews,
        milestones=milestones,
        spendings=spendings,
        note=note,
        pairs=pairs,
    )


def works_done(milestones: int) -> int:
    """How many milestones a project still in works has done: the first half or so."""
    return max(1, milestones // 2)


def fit(story: Story, spec: Spec, limit: datetime) -> None:
    """Squeeze a current-year story in time so that what has happened so far (up to the stage
    the project stands at, and the first works of a project in works) lies before `limit`."""
    start = story.stage_at[Stage.PROPOSED]
    happened = [t for stage, t in story.stage_at.items() if spec.reaches(stage)]
    if spec.reaches(Stage.SITE_SURVEY):
        happened += [_at(v.day, 12) for v in story.visits]
    if spec.reaches(Stage.OPINION_SURVEY) and story.survey_opened:
        happened.append(story.survey_opened)
    if spec.reaches(Stage.EXPERT_REVIEW):
        happened += [t for _e, t, _f in story.reviews if t is not None]
    if spec.end == Stage.IN_WORKS:
        happened += [
            _at(done, 12)
            for *_x, done in story.milestones[: works_done(len(story.milestones))]
            if done is not None
        ]
        happened += [_at(day, 12) for day, *_y in story.spendings[:1]]
    last = max(happened)
    if last <= limit:
        return
    factor = max((limit - start) / (last - start), 0.0)

    def f(t: datetime) -> datetime:
        return start + (t - start) * factor

    def fd(d: date) -> date:
        return timezone.localdate(f(_at(d, 12)))

    story.stage_at = {k: f(t) for k, t in story.stage_at.items()}
    for v in story.visits:
        v.day = fd(v.day)
    story.survey_opened = f(story.survey_opened) if story.survey_opened else None
    story.survey_closed = f(story.survey_closed) if story.survey_closed else None
    story.closes_on = fd(story.closes_on)
    story.reviews = [(e, f(t) if t else None, fe) for e, t, fe in story.reviews]
    story.milestones = [
        (t, w, fd(p), fd(done) if done else None) for t, w, p, done in story.milestones
    ]
    story.spendings = [(fd(d), a, p, w) for d, a, p, w in story.spendings]
    story.pairs = [(s, fd(b), fd(a) if a else None, g) for s, b, a, g in story.pairs]


# --- the named projects -----------------------------------------------------------------------
GUANGFU_TITLE = "光复路909号建筑山墙改造"
GARDEN_TITLE = "望花园"
GARDEN2_TITLE = "望花园2.0"
GREEN_FOREST = "自然、和谐——城市中的绿色树林"


def guangfu_909(places: dict[str, Place]) -> Spec:
    """The gable wall at 光复路909号, at the corner of 昌平路桥 and 光复路 by Suzhou Creek
    (in the demo tree: 光复居委会, south of the station, near the creek's edge of the box)."""
    place = places["TMX-GF"]
    w, s, e, n = place.box
    d = date
    story = Story(
        stage_at={
            Stage.PROPOSED: _at(d(2023, 2, 20), 9),
            Stage.SITE_SURVEY: _at(d(2023, 3, 1), 9, 30),
            Stage.OPINION_SURVEY: _at(d(2023, 4, 10), 10),
            Stage.EXPERT_REVIEW: _at(d(2023, 5, 4), 10),
            Stage.APPROVED: _at(d(2023, 5, 22), 11),
            Stage.IN_WORKS: _at(d(2023, 6, 12), 9),
            Stage.COMPLETED: _at(d(2023, 9, 26), 16),
            Stage.EVALUATED: _at(d(2023, 12, 15), 10),
        },
        visits=[
            Visit(
                d(2023, 3, 2),
                "山墙外立面涂层大面积剥落，墙体有裂缝和渗水痕迹，墙面管线杂乱；"
                "与新建成的苏州河沿岸绿道反差明显，居民和过往行人反映强烈。",
                leaders="街道党工委书记、街道办事处主任",
                staff="民生办、城市管理部门、光复居委会",
                residents="居民代表4名",
                photos=["山墙全景（昌平路桥方向）"],
            ),
            Visit(
                d(2023, 3, 16),
                "测量墙面尺寸、朝向和夜间照明条件；初步确定以绿色为主基调，与绿道景观相呼应。",
                leaders="街道分管副主任",
                staff="民生办、设计单位",
                residents="楼组长2名",
            ),
            Visit(
                d(2023, 4, 6),
                "与居民代表、物业现场讨论初步方案；居民关注施工噪音、脚手架安全和后期维护。",
                leaders="街道党工委副书记",
                staff="民生办、光复居委会、物业",
                residents="居民代表6名",
            ),
        ],
        survey_title="光复路909号山墙改造方案群众意见征询",
        questions=[
            {
                "kind": QuestionKind.SINGLE,
                "text": "您是否同意对光复路909号山墙进行整体美化改造？",
                "choices": AGREE,
            },
            {
                "kind": QuestionKind.SINGLE,
                "text": "您更喜欢哪一个设计方向？",
                "choices": [GREEN_FOREST, "城市记忆——老上海街景", "简洁素雅——浅色涂装"],
            },
            {
                "kind": QuestionKind.MULTIPLE,
                "text": "您希望改造包含哪些内容？（可多选）",
                "choices": ["墙面修补防水", "立体绿化", "夜景照明", "管线整理", "苏州河元素"],
            },
            {
                "kind": QuestionKind.SCALE,
                "text": "您对改造方案的总体满意度",
                "scale_min": 1,
                "scale_max": 5,
            },
            {"kind": QuestionKind.TEXT, "text": "其他意见和建议", "required": False},
        ],
        survey_opened=_at(d(2023, 4, 12), 9),
        survey_closed=_at(d(2023, 4, 26), 17),
        closes_on=d(2023, 4, 26),
        online=26,
        paper=19,
        points=["光复居委会活动室", "小区门岗", "光复路沿街宣传点"],
        agree=0.9,
        texts=[
            "绿色好，和旁边的绿道连成一片。",
            "希望施工期间注意噪音，避开午休时间。",
            "夜景灯光不要太亮，别影响楼里住户休息。",
            "墙上的管线一定要整理好，以前看着很乱。",
            "可以加一些苏州河的元素。",
            "改造后要定期维护，别几年就褪色了。",
        ],
        published_texts=3,
        reviews=[
            ("expert1", _at(d(2023, 5, 10), 15), Feasibility.FEASIBLE),
            ("expert2", _at(d(2023, 5, 11), 10), Feasibility.WITH_CHANGES),
            ("expert3", _at(d(2023, 5, 12), 16), Feasibility.FEASIBLE),
        ],
        milestones=[
            ("墙面基层清理与修补", 3, d(2023, 6, 30), d(2023, 7, 3)),
            ("防水层与底漆施工", 2, d(2023, 7, 20), d(2023, 7, 21)),
            ("“绿色树林”主题彩绘", 4, d(2023, 8, 25), d(2023, 8, 29)),
            ("立体绿化与夜景照明安装", 2, d(2023, 9, 10), d(2023, 9, 14)),
            ("竣工验收", 1, d(2023, 9, 25), d(2023, 9, 25)),
        ],
        spendings=[
            (d(2023, 6, 15), Decimal("38600"), "申美城市空间设计有限公司", "方案设计费"),
            (d(2023, 7, 5), Decimal("104200"), "静和建筑装饰工程有限公司", "工程预付款（30%）"),
            (d(2023, 9, 1), Decimal("156300"), "静和建筑装饰工程有限公司", "工程进度款"),
            (d(2023, 10, 20), Decimal("71300"), "静和建筑装饰工程有限公司", "工程结算款"),
        ],
        note="居民回访满意度高；墙面与苏州河绿道风貌协调，已纳入长效养护。",
        pairs=[
            ("山墙全景（昌平路桥方向）", d(2023, 3, 2), d(2023, 9, 26), True),
            ("墙面近景", d(2023, 3, 2), d(2023, 9, 26), True),
            ("墙角绿化带", d(2023, 3, 16), d(2023, 9, 26), False),
        ],
    )
    return Spec(
        kind=BB,
        org="TMX-GF",
        year=2023,
        title=GUANGFU_TITLE,
        place_kind=PlaceKind.BUILDING_WALL,
        place_name="光复路909号山墙（昌平路桥与光复路路口）",
        address="光复路909号",
        point=(round(w + (e - w) * 0.72, 6), round(s + (n - s) * 0.12, 6)),
        proposed_on=d(2023, 2, 20),
        end=Stage.EVALUATED,
        budget=Decimal("420000"),
        allocated=Decimal("386000"),
        seed=909,
        theme=GREEN_FOREST,
        description=(
            "这面墙位于昌平路桥与光复路的路口，改造前破损严重，与周边全新的城市绿道形成"
            "鲜明对比。街道将其纳入2023年“美丽街区”项目进行整体美化改造：经多次街道领导"
            "现场调研、群众意见征询和专家方案评审，形成以“自然、和谐——城市中的绿色树林”"
            "为主基调的改造方案。"
        ),
        proposer_kind=ProposerKind.DEPARTMENT,
        proposer_name="天目西路街道",
        parties=[
            (PartyKind.COMMITTEE, "光复居委会", "组织居民意见征询"),
            (PartyKind.DESIGNER, "申美城市空间设计有限公司", "方案设计"),
            (PartyKind.DEPARTMENT, "街道城市管理部门", "统筹实施"),
            (PartyKind.PROPERTY_COMPANY, "光复路909号物业", "日常养护"),
            (PartyKind.VOLUNTEER, "光复居委会志愿者服务队", "施工期间秩序引导"),
        ],
        story=story,
    )


GARDEN_PARTIES = [
    (PartyKind.OWNERS_COMMITTEE, "展望小区业委会", "参与方案讨论，协调公共部位使用"),
    (PartyKind.PROPERTY_COMPANY, "展望小区物业", "平台安全检查与日常保洁"),
    (PartyKind.GROUP_LEADER, "展望小区楼组长", "收集楼组居民意见"),
    (PartyKind.VOLUNTEER, "展望小区志愿者", "认领花草、日常养护"),
]


def _garden_questions(title: str) -> list[dict[str, Any]]:
    return [
        {"kind": QuestionKind.SINGLE, "text": f"您是否同意实施“{title}”？", "choices": AGREE},
        {
            "kind": QuestionKind.MULTIPLE,
            "text": "您希望花园里有哪些内容？（可多选）",
            "choices": ["花草种植", "休憩座椅", "遮阳设施", "儿童活动", "共享工具"],
        },
        {
            "kind": QuestionKind.SINGLE,
            "text": "您愿意参与花园的日常养护吗？",
            "choices": ["愿意认领", "偶尔帮忙", "暂不参与"],
        },
        {
            "kind": QuestionKind.SCALE,
            "text": "您对方案的总体满意度",
            "scale_min": 1,
            "scale_max": 5,
        },
        {"kind": QuestionKind.TEXT, "text": "其他意见和建议", "required": False},
    ]


def wang_garden(places: dict[str, Place], compound: Compound) -> Spec:
    d = date
    story = Story(
        stage_at={
            Stage.PROPOSED: _at(d(2021, 3, 10), 9),
            Stage.SITE_SURVEY: _at(d(2021, 3, 15), 9, 30),
            Stage.OPINION_SURVEY: _at(d(2021, 4, 8), 10),
            Stage.EXPERT_REVIEW: _at(d(2021, 4, 26), 10),
            Stage.APPROVED: _at(d(2021, 5, 14), 11),
            Stage.IN_WORKS: _at(d(2021, 5, 28), 9),
            Stage.COMPLETED: _at(d(2021, 8, 20), 16),
            Stage.EVALUATED: _at(d(2021, 11, 15), 10),
        },
        visits=[
            Visit(
                d(2021, 3, 18),
                "“零距离”走访：停车棚屋顶平台裸露，堆放杂物；小区户外活动空间有限，"
                "居民希望有个能坐坐、种种花的地方。平台承重和防水需要评估。",
                leaders="街道分管副主任",
                staff="华新居委会、民生办",
                residents="业委会、楼组长代表",
                photos=["停车棚屋顶平台全景"],
            ),
            Visit(
                d(2021, 3, 30),
                "物业和设计人员现场测量，确认平台承重可满足种植箱和轻型座椅；"
                "需修补防水层，增设栏杆。",
                staff="华新居委会、物业、设计人员",
                residents="楼组长3名",
            ),
        ],
        survey_title="“望花园”改造方案意见征询",
        questions=_garden_questions(GARDEN_TITLE),
        survey_opened=_at(d(2021, 4, 12), 9),
        survey_closed=_at(d(2021, 4, 23), 17),
        closes_on=d(2021, 4, 23),
        online=18,
        paper=14,
        points=["华新居委会活动室", "小区门岗"],
        agree=0.9,
        texts=[
            "希望多种些花草，夏天也凉快。",
            "平台栏杆要加高，注意小孩安全。",
            "可以请志愿者一起认领花草。",
            "晚上照明要跟上。",
        ],
        published_texts=2,
        reviews=[
            ("expert1", _at(d(2021, 4, 30), 15), Feasibility.FEASIBLE),
            ("expert2", _at(d(2021, 5, 6), 10), Feasibility.WITH_CHANGES),
        ],
        milestones=[
            ("平台清理与防水修补", 2, d(2021, 6, 15), d(2021, 6, 18)),
            ("栏杆、种植箱与座椅安装", 3, d(2021, 7, 10), d(2021, 7, 14)),
            ("花草种植与认养", 2, d(2021, 8, 5), d(2021, 8, 9)),
            ("启用", 1, d(2021, 8, 20), d(2021, 8, 20)),
        ],
        spendings=[
            (d(2021, 6, 1), Decimal("17400"), "睦邻社区营造服务中心", "材料预付款"),
            (d(2021, 9, 3), Decimal("38900"), "睦邻社区营造服务中心", "结算款"),
        ],
        note="居民使用率高，志愿者认领养护；业委会、物业、楼组长和志愿者持续共商优化。",
        pairs=[
            ("停车棚屋顶平台全景", d(2021, 3, 18), d(2021, 8, 20), True),
            ("平台入口", d(2021, 3, 18), d(2021, 8, 20), False),
        ],
    )
    return Spec(
        kind=SG,
        org="TMX-HX",
        year=2021,
        title=GARDEN_TITLE,
        place_kind=PlaceKind.COMPOUND,
        place_name="展望小区停车棚屋顶平台",
        address=compound.address,
        compound=compound.name,
        point=(float(compound.longitude or 0), float(compound.latitude or 0))
        if compound.longitude is not None and compound.latitude is not None
        else None,
        proposed_on=d(2021, 3, 10),
        end=Stage.EVALUATED,
        budget=Decimal("60000"),
        allocated=Decimal("58000"),
        seed=2021,
        theme="共建共享的屋顶花园",
        description=(
            "展望小区曾是一个户外活动空间有限的旧公房小区。街道通过“零距离”走访，精准对接"
            "居民需求，利用“添睦自治金”将小区停车棚裸露平台改造成“望花园”。"
        ),
        proposer_kind=ProposerKind.COMMITTEE,
        proposer_name="华新居委会",
        parties=[(str(k), n, r) for k, n, r in GARDEN_PARTIES],
        story=story,
    )


def wang_garden_2(places: dict[str, Place], first: Spec) -> Spec:
    d = date
    story = Story(
        stage_at={
            Stage.PROPOSED: _at(d(2024, 3, 6), 9),
            Stage.SITE_SURVEY: _at(d(2024, 3, 12), 9, 30),
            Stage.OPINION_SURVEY: _at(d(2024, 4, 3), 10),
            Stage.EXPERT_REVIEW: _at(d(2024, 4, 24), 10),
            Stage.APPROVED: _at(d(2024, 5, 10), 11),
            Stage.IN_WORKS: _at(d(2024, 5, 27), 9),
            Stage.COMPLETED: _at(d(2024, 8, 30), 16),
            Stage.EVALUATED: _at(d(2024, 12, 10), 10),
        },
        visits=[
            Visit(
                d(2024, 3, 14),
                "望花园使用三年，夏季平台暴晒、浇水靠人工提水，工具无处存放；"
                "居民建议增设遮阳和雨水收集。",
                leaders="华新居委会党总支书记",
                staff="华新居委会、民生办、物业",
                residents="业委会、楼组长、志愿者代表",
                photos=["平台西侧休憩区"],
            ),
        ],
        survey_title="“望花园2.0”方案意见征询",
        questions=_garden_questions(GARDEN2_TITLE),
        survey_opened=_at(d(2024, 4, 8), 9),
        survey_closed=_at(d(2024, 4, 19), 17),
        closes_on=d(2024, 4, 19),
        online=22,
        paper=16,
        points=["华新居委会活动室", "小区门岗"],
        agree=0.92,
        texts=[
            "遮阳廊架很需要，夏天下午根本坐不住。",
            "雨水收集好，省得提水。",
            "工具角要有人管钥匙。",
            "希望多办几次亲子种植活动。",
        ],
        published_texts=2,
        reviews=[
            ("expert2", _at(d(2024, 4, 29), 15), Feasibility.FEASIBLE),
            ("expert3", _at(d(2024, 5, 2), 10), Feasibility.FEASIBLE),
        ],
        milestones=[
            ("遮阳廊架安装", 3, d(2024, 6, 20), d(2024, 6, 24)),
            ("雨水收集与自动浇灌", 2, d(2024, 7, 20), d(2024, 7, 22)),
            ("共享工具角", 1, d(2024, 8, 10), d(2024, 8, 12)),
            ("楼组认养制度完善与启用", 1, d(2024, 8, 30), d(2024, 8, 30)),
        ],
        spendings=[
            (d(2024, 5, 30), Decimal("19800"), "睦邻社区营造服务中心", "材料预付款"),
            (d(2024, 9, 12), Decimal("44100"), "睦邻社区营造服务中心", "结算款"),
        ],
        note="遮阳和雨水收集解决了居民最关心的问题；楼组认养制度运行良好。",
        pairs=[
            ("平台西侧休憩区", d(2024, 3, 14), d(2024, 8, 30), False),
            ("平台东侧种植区", d(2024, 3, 14), d(2024, 8, 30), False),
        ],
        respondents=["resident1"],
    )
    return Spec(
        kind=SG,
        org="TMX-HX",
        year=2024,
        title=GARDEN2_TITLE,
        place_kind=first.place_kind,
        place_name=first.place_name,
        proposed_on=d(2024, 3, 6),
        end=Stage.EVALUATED,
        budget=Decimal("68000"),
        allocated=Decimal("66000"),
        seed=2024,
        description=(
            "华新居委会党总支进一步深耕这一自治微项目，推出“望花园2.0版”：增设遮阳廊架、"
            "雨水收集与自动浇灌和共享工具角，完善楼组认养制度。"
        ),
        proposer_kind=ProposerKind.COMMITTEE,
        proposer_name="华新居委会党总支",
        previous=GARDEN_TITLE,
        story=story,
    )


def tmx_plan(rnd: random.Random, places: dict[str, Place], today: date) -> list[Spec]:
    """Every project of 天目西路街道: the source years' landed, rejected and withdrawn ones,
    then the current year's at the earlier stages."""
    planner = Planner(rnd, places)
    planner.titles.update({GUANGFU_TITLE, GARDEN_TITLE, GARDEN2_TITLE})
    zhanwang = next(
        c for c in Compound.objects.filter(org_unit=places["TMX-HX"].org) if c.name == "展望小区"
    )
    garden = wang_garden(places, zhanwang)
    named = {
        (BB, 2023): [guangfu_909(places)],
        (SG, 2021): [garden],
        (SG, 2024): [wang_garden_2(places, garden)],
    }
    codes = sorted(places)
    specs: list[Spec] = []
    for year in SOURCE_YEARS:
        for kind in (BB, SG):
            specs.extend(named.get((kind, year), []))
            for _i in range(LANDED_PER_YEAR[kind][year] - len(named.get((kind, year), []))):
                evaluated = rnd.random() < (0.9 if year < 2024 else 0.6)
                specs.append(
                    planner.spec(
                        kind,
                        rnd.choice(codes),
                        year,
                        Stage.EVALUATED if evaluated else Stage.COMPLETED,
                    )
                )
    # Not landed: rejected or withdrawn along the way.
    for kind, year, end, stop in [
        (SG, 2020, Stage.WITHDRAWN, Stage.PROPOSED),
        (BB, 2021, Stage.REJECTED, Stage.EXPERT_REVIEW),
        (SG, 2022, Stage.REJECTED, Stage.OPINION_SURVEY),
        (BB, 2023, Stage.WITHDRAWN, Stage.SITE_SURVEY),
        (SG, 2024, Stage.WITHDRAWN, Stage.APPROVED),
    ]:
        specs.append(planner.spec(kind, rnd.choice(codes), year, end, stop=stop))
    # A handful of ordinary landed projects show before/after photos too.
    for spec in rnd.sample([s for s in specs if s.story is None and s.end in DONE_STAGES], 5):
        spec.photo_pairs = 1
    # The current year: one project at each earlier stage (dates fitted into the year so far).
    year = today.year
    jan1 = date(year, 1, 1)
    span = max((today - jan1).days, 0)

    def on(frac: float) -> date:
        return jan1 + timedelta(days=int(span * frac))

    for kind, org, end, start, survey_state in [
        (BB, "TMX-HF", Stage.PROPOSED, 0.93, ""),
        (BB, "TMX-XQ", Stage.SITE_SURVEY, 0.78, ""),
        (SG, "TMX-HX", Stage.OPINION_SURVEY, 0.72, "open"),
        (SG, "TMX-TB", Stage.OPINION_SURVEY, 0.80, "draft"),
        (BB, "TMX-GX", Stage.EXPERT_REVIEW, 0.55, ""),
        (SG, "TMX-AQ", Stage.APPROVED, 0.45, ""),
        (BB, "TMX-ZX", Stage.IN_WORKS, 0.25, ""),
        (SG, "TMX-HY", Stage.IN_WORKS, 0.35, ""),
    ]:
        spec = planner.spec(kind, org, year, end, proposed_on=on(start))
        spec.published = end != Stage.PROPOSED
        spec.survey_state = survey_state or "closed"
        spec.photo_pairs = 1 if end == Stage.IN_WORKS else 0
        specs.append(spec)
    return specs


# --- running a plan -------------------------------------------------------------------------
class Runner:
    """Walks planned projects through the services, as the users who do each step."""

    def __init__(self, sub_code: str, today: date) -> None:
        self.today = today
        self.sub = OrgUnit.objects.get(code=sub_code)
        office_name = {"TMX": "tmx_livelihood", "BZ": "bz_admin"}[sub_code]
        self.office = User.objects.get(username=office_name)
        self.workers = {"TMX-HX": User.objects.get(username="hx_worker")}
        self.experts = {u.username: u for u in User.objects.filter(username__in=EXPERTS)}
        self.programmes = {
            p.kind: p
            for p in Programme.objects.filter(org_unit=self.sub).select_related("org_unit")
        }
        self.criteria = {
            kind: list(ReviewCriterion.objects.filter(programme=p))
            for kind, p in self.programmes.items()
        }
        self.orgs = {o.code: o for o in OrgUnit.objects.filter(path__startswith=self.sub.path)}
        self.compounds = {
            (c.org_unit_id, c.name): c
            for c in Compound.objects.filter(org_unit__path__startswith=self.sub.path)
        }
        self.residents: dict[str, list[User]] = {}
        for user in (
            User.objects.filter(
                memberships__role=Role.RESIDENT,
                memberships__org_unit__path__startswith=self.sub.path,
                username__startswith="r",
            )
            .exclude(username="resident1")
            .distinct()
            .prefetch_related("memberships__org_unit")
            .order_by("id")
        ):
            for m in user.memberships.all():
                self.residents.setdefault(m.org_unit.code, []).append(user)
        self.named_users = {u.username: u for u in User.objects.filter(username__in=["resident1"])}
        self.created = 0
        self.submitted: list[int] = []

    def worker(self, spec: Spec) -> User:
        return self.workers.get(spec.org, self.office)

    def fund(self, spec: Spec) -> Fund:
        owner = self.sub.code if spec.kind == BB else spec.org
        return Fund.objects.get(
            programme=self.programmes[spec.kind], org_unit=self.orgs[owner], year=spec.year
        )

    def exists(self, spec: Spec) -> bool:
        return Project.objects.filter(
            programme=self.programmes[spec.kind], org_unit=self.orgs[spec.org], title=spec.title
        ).exists()

    def run(self, spec: Spec) -> Project | None:
        if self.exists(spec):
            return None
        rnd = random.Random(spec.seed)
        story = spec.story or generic_story(spec, rnd, self.today)
        if spec.year == self.today.year:
            fit(story, spec, timezone.now() - timedelta(hours=2))
            if spec.survey_state == "open":
                story.closes_on = self.today + timedelta(days=10)
                story.online, story.paper = 9, 6
        project = self._create(spec, story)
        self._walk(spec, story, project, rnd)
        self.created += 1
        return project

    def _create(self, spec: Spec, story: Story) -> Project:
        worker = self.worker(spec)
        programme = self.programmes[spec.kind]
        org = self.orgs[spec.org]
        if spec.previous:
            previous = Project.objects.get(programme=programme, org_unit=org, title=spec.previous)
            project = services.project_next_version(
                actor=worker,
                project=previous,
                title=spec.title,
                year=spec.year,
                description=spec.description,
                proposed_on=spec.proposed_on,
            )
            project = services.project_update(
                actor=worker,
                project=project,
                data={
                    "proposer_name": spec.proposer_name,
                    "budget_requested": spec.budget,
                    # project_update clears the coordinates unless they are given again.
                    "longitude": project.longitude,
                    "latitude": project.latitude,
                },
            )
        else:
            compound = self.compounds.get((org.pk, spec.compound)) if spec.compound else None
            project = services.project_create(
                actor=worker,
                programme=programme,
                org_unit=org,
                proposed_on=spec.proposed_on,
                data={
                    "title": spec.title,
                    "theme": spec.theme,
                    "description": spec.description,
                    "place_kind": spec.place_kind,
                    "place_name": spec.place_name,
                    "address": spec.address,
                    "compound": compound,
                    "longitude": spec.point[0] if spec.point else None,
                    "latitude": spec.point[1] if spec.point else None,
                    "proposer_kind": spec.proposer_kind,
                    "proposer_name": spec.proposer_name,
                    "budget_requested": spec.budget,
                    "year": spec.year,
                },
                parties=spec.parties,
                published=spec.published,
            )
        # project_create stamps the proposal with the time it runs; the record's history
        # starts on the day the project was proposed.
        proposed_at = min(story.stage_at[Stage.PROPOSED], timezone.now())
        ProjectTransition.objects.filter(project=project, from_stage="").update(
            created_at=proposed_at
        )
        Project.objects.filter(pk=project.pk).update(stage_changed_at=proposed_at)
        project.stage_changed_at = proposed_at
        return project

    def _move(
        self, project: Project, to: str, at: datetime, *, actor: User, note: str = ""
    ) -> Project:
        return services.project_transition(
            actor=actor, project=project, to_stage=to, at=at, note=note
        )

    def _walk(self, spec: Spec, story: Story, project: Project, rnd: random.Random) -> None:
        worker, office = self.worker(spec), self.office
        at = story.stage_at
        milestones: list[Any] = []
        if spec.reaches(Stage.SITE_SURVEY):
            project = self._move(project, Stage.SITE_SURVEY, at[Stage.SITE_SURVEY], actor=worker)
            for visit in story.visits:
                site = services.site_survey_record(
                    actor=worker,
                    project=project,
                    day=visit.day,
                    findings=visit.findings,
                    leaders=visit.leaders,
                    staff=visit.staff,
                    residents=visit.residents,
                )
                for spot in visit.photos:
                    services.photo_upload(
                        actor=worker,
                        project=project,
                        data=picture(rnd, after=False, gps=None),
                        name=f"site-{visit.day:%Y%m%d}.jpg",
                        kind=PhotoKind.SITE,
                        spot=spot,
                        caption=f"现场踏勘：{spot}",
                        taken_on=visit.day,
                        site_survey=site,
                    )
        befores: list[Photo] = []
        if spec.reaches(Stage.SITE_SURVEY):
            for i, (spot, taken, _after, gps) in enumerate(story.pairs):
                befores.append(
                    services.photo_upload(
                        actor=worker,
                        project=project,
                        data=picture(rnd, after=False, gps=spec.point if gps else None),
                        name=f"IMG_{taken:%Y%m%d}_{i + 1:02d}.jpg",
                        kind=PhotoKind.BEFORE,
                        spot=spot,
                        caption=f"改造前：{spot}",
                        taken_on=taken,
                    )
                )
        if spec.reaches(Stage.OPINION_SURVEY):
            project = self._move(
                project, Stage.OPINION_SURVEY, at[Stage.OPINION_SURVEY], actor=worker
            )
            self._survey(spec, story, project, rnd, worker)
        if spec.reaches(Stage.EXPERT_REVIEW):
            project = self._move(
                project, Stage.EXPERT_REVIEW, at[Stage.EXPERT_REVIEW], actor=worker
            )
            self._reviews(spec, story, project, rnd)
        if spec.reaches(Stage.APPROVED):
            project = services.project_approve(
                actor=office,
                project=project,
                fund=self.fund(spec),
                amount=spec.allocated,
                at=at[Stage.APPROVED],
                note="经专家评审，同意立项。",
            )
            milestones = [
                services.milestone_add(
                    actor=worker, project=project, title=title, planned_on=planned, weight=weight
                )
                for title, weight, planned, _done in story.milestones
            ]
        if spec.reaches(Stage.IN_WORKS):
            project = self._move(project, Stage.IN_WORKS, at[Stage.IN_WORKS], actor=worker)
            landed = spec.reaches(Stage.COMPLETED)
            n_done = len(milestones) if landed else works_done(len(milestones))
            for ms, (_t, _w, _p, done) in zip(milestones[:n_done], story.milestones, strict=False):
                if done is not None and done <= self.today:
                    services.milestone_set_state(
                        actor=worker, milestone=ms, state=MilestoneState.DONE, done_on=done
                    )
            for day, amount, payee, what in story.spendings:
                if day > self.today:
                    continue
                if day <= at[Stage.IN_WORKS].date() + timedelta(days=10) or (
                    landed and day < at[Stage.COMPLETED].date()
                ):
                    services.spending_record(
                        actor=office,
                        project=project,
                        day=day,
                        amount=amount,
                        payee=payee,
                        description=what,
                    )
        if spec.reaches(Stage.COMPLETED):
            project = self._move(project, Stage.COMPLETED, at[Stage.COMPLETED], actor=worker)
            for day, amount, payee, what in story.spendings:
                if day >= at[Stage.COMPLETED].date():
                    services.spending_record(
                        actor=office,
                        project=project,
                        day=day,
                        amount=amount,
                        payee=payee,
                        description=what,
                    )
            for before, (spot, _taken, after_on, _gps) in zip(befores, story.pairs, strict=True):
                if after_on is None:
                    continue
                services.photo_upload(
                    actor=worker,
                    project=project,
                    data=picture(rnd, after=True, gps=None),
                    name=f"IMG_{after_on:%Y%m%d}_{before.pk}.jpg",
                    kind=PhotoKind.AFTER,
                    before=before,
                    caption=f"改造后：{spot}",
                    taken_on=after_on,
                )
        if spec.reaches(Stage.EVALUATED):
            project = self._move(
                project, Stage.EVALUATED, at[Stage.EVALUATED], actor=office, note=story.note
            )
        if spec.end in (Stage.REJECTED, Stage.WITHDRAWN):
            decider = (
                office if spec.end == Stage.REJECTED or spec.stop == Stage.APPROVED else worker
            )
            project = self._move(project, spec.end, at[spec.end], actor=decider, note=story.note)
        if spec.published and not project.published:
            services.project_publish(actor=worker, project=project)

    def _survey(
        self, spec: Spec, story: Story, project: Project, rnd: random.Random, worker: User
    ) -> None:
        survey = services.survey_create(
            actor=worker,
            project=project,
            title=story.survey_title,
            intro="请居民对项目方案提出意见，征询结束后公布汇总结果。",
            closes_on=story.closes_on,
            questions=story.questions,
        )
        if spec.end == Stage.OPINION_SURVEY and spec.survey_state == "draft":
            return
        opened = story.survey_opened or timezone.now()
        survey = services.survey_open(actor=worker, survey=survey, at=opened)
        questions = list(survey.questions.all())
        pool = self.residents.get(spec.org, [])
        chosen = rnd.sample(pool, min(story.online, len(pool)))
        chosen += [self.named_users[u] for u in story.respondents if u in self.named_users]
        until = story.survey_closed or timezone.now()
        entries: list[tuple[User | None, str, dict[int, Any], datetime]] = [
            (user, "", answers(rnd, questions, story), _between(rnd, opened, until))
            for user in chosen
        ] + [
            (
                None,
                rnd.choice(story.points),
                answers(rnd, questions, story),
                _between(rnd, opened, until),
            )
            for _i in range(story.paper)
        ]
        if spec.story is None and spec.year != self.today.year:
            # Ordinary past projects: their ~1,200 answers are inserted in bulk (the services
            # would take most of the demo's time), as exactly the rows the services write.
            bulk_responses(survey, entries, worker)
        else:
            self._responses(survey, entries, worker)
        if story.survey_closed is None or (
            spec.end == Stage.OPINION_SURVEY and spec.survey_state == "open"
        ):
            return
        survey = services.survey_close(actor=worker, survey=survey, at=story.survey_closed)
        if spec.published and story.published_texts:
            texts = list(
                survey_texts(survey).order_by("response__created_at", "id")[: story.published_texts]
            )
            for answer in texts:
                services.answer_publish(actor=worker, answer=answer)

    def _responses(
        self,
        survey: Survey,
        entries: list[tuple[User | None, str, dict[int, Any], datetime]],
        worker: User,
    ) -> None:
        stamps: list[tuple[int, datetime]] = []
        for user, point, given, when in entries:
            if user is not None:
                response = services.response_submit_online(actor=user, survey=survey, answers=given)
            else:
                response = services.response_enter_paper(
                    actor=worker, survey=survey, answers=given, collection_point=point
                )
            stamps.append((response.pk, when))
        # The services stamp answers with the time they run; the demo's answers came in while
        # the survey was open, so their one column `created_at` is set to that afterwards.
        if stamps:
            Response.objects.filter(pk__in=[pk for pk, _ in stamps]).update(
                created_at=Case(
                    *[When(pk=pk, then=Value(when)) for pk, when in stamps],
                    output_field=DateTimeField(),
                )
            )

    def read_submitted_requests(self) -> None:
        """An expert has read the request of each review they submitted (only the pending
        review stays unread on their desk)."""
        keys = [f"livelihood-review:{pk}" for pk in self.submitted]
        for n in Notification.objects.filter(key__in=keys, read_at__isnull=True).order_by("pk"):
            notification_mark_read(user=n.user_id, pk=n.pk)

    def _reviews(self, spec: Spec, story: Story, project: Project, rnd: random.Random) -> None:
        criteria = self.criteria[spec.kind]
        for username, submitted, feasibility in story.reviews:
            expert = self.experts[username]
            assignment = services.review_assign(
                actor=self.office,
                project=project,
                expert=expert,
                due_on=story.stage_at[Stage.EXPERT_REVIEW].date() + timedelta(days=14),
            )
            if submitted is None:
                continue
            self.submitted.append(assignment.pk)
            low, high = (3.0, 5.5) if feasibility == Feasibility.NOT_FEASIBLE else (6.5, 9.5)
            services.review_submit(
                actor=expert,
                assignment=assignment,
                scores={c.pk: round(rnd.uniform(low, high) * 2) / 2 for c in criteria},
                feasibility=feasibility,
                cost_estimate=_money(float(spec.allocated) * rnd.uniform(0.9, 1.1), 100),
                reasons=rnd.choice(REVIEW_REASONS[Feasibility(feasibility)]),
                at=submitted,
            )


def _between(rnd: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(int((end - start).total_seconds()), 1)
    return start + timedelta(seconds=rnd.randrange(0, seconds))


def bulk_responses(
    survey: Survey,
    entries: list[tuple[User | None, str, dict[int, Any], datetime]],
    worker: User,
) -> None:
    """What `response_submit_online` and `response_enter_paper` write, in two inserts: the
    answers are checked by the services' own `_clean_answers`; online respondents are distinct
    residents of the project's committee, and the survey is open."""
    assert survey.status == SurveyStatus.OPEN
    survey = Survey.objects.prefetch_related("questions").get(pk=survey.pk)
    checked = [services._clean_answers(survey, given) for _u, _p, given, _w in entries]
    responses = Response.objects.bulk_create(
        [
            Response(
                survey=survey,
                channel=ResponseChannel.ONLINE if user else ResponseChannel.PAPER,
                respondent=user,
                entered_by=None if user else worker,
                collection_point="" if user else point[:100],
                created_at=when,
            )
            for user, point, _given, when in entries
        ]
    )
    ResponseAnswer.objects.bulk_create(
        [
            ResponseAnswer(response=response, **row)
            for response, rows in zip(responses, checked, strict=True)
            for row in rows
        ]
    )


def survey_texts(survey: Survey) -> Any:
    return ResponseAnswer.objects.filter(
        response__survey=survey, question__kind=QuestionKind.TEXT
    ).exclude(text="")


def answers(rnd: random.Random, questions: list[Any], story: Story) -> dict[int, Any]:
    """One respondent's answers: in favour with the story's odds, and now and then a remark."""
    favour = rnd.random() < story.agree
    out: dict[int, Any] = {}
    for q in questions:
        if q.kind == QuestionKind.SINGLE:
            if q.choices == AGREE:
                out[q.pk] = rnd.choice(AGREE[:2]) if favour else "不同意"
            else:
                out[q.pk] = q.choices[0] if rnd.random() < 0.7 else rnd.choice(q.choices)
        elif q.kind == QuestionKind.MULTIPLE:
            out[q.pk] = rnd.sample(q.choices, rnd.randrange(1, 4))
        elif q.kind == QuestionKind.SCALE:
            out[q.pk] = rnd.randrange(4, 6) if favour else rnd.randrange(1, 4)
        elif rnd.random() < 0.4:
            out[q.pk] = rnd.choice(story.texts)
    return out


# --- pictures -------------------------------------------------------------------------------
def picture(
    rnd: random.Random,
    *,
    after: bool,
    gps: tuple[float, float] | None,
    size: tuple[int, int] = (800, 600),
) -> bytes:
    """A generated photo: "before" a grey, stained and cracked wall; "after" a green wall with
    trees. With `gps` its EXIF carries a location, as a phone photo would."""
    w, h = size
    if after:
        image = Image.new("RGB", size, (196, 224, 236))
        draw = ImageDraw.Draw(image)
        draw.rectangle([0, int(h * 0.12), w, int(h * 0.8)], fill=(108, 164, 96))
        for _ in range(9):
            x = rnd.randrange(0, w)
            trunk = rnd.randrange(6, 14)
            top = rnd.randrange(int(h * 0.2), int(h * 0.45))
            draw.rectangle([x - trunk, top + 60, x + trunk, int(h * 0.8)], fill=(110, 78, 48))
            r = rnd.randrange(45, 90)
            green = (rnd.randrange(30, 80), rnd.randrange(120, 190), rnd.randrange(40, 90))
            draw.ellipse([x - r, top - r // 2, x + r, top + r], fill=green)
        draw.rectangle([0, int(h * 0.8), w, h], fill=(150, 150, 140))
        for _ in range(40):
            x, y = rnd.randrange(0, w), rnd.randrange(int(h * 0.72), int(h * 0.82))
            colour = rnd.choice([(230, 90, 90), (250, 210, 80), (240, 240, 240), (200, 120, 220)])
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour)
    else:
        grey = rnd.randrange(135, 165)
        image = Image.new("RGB", size, (grey, grey - 2, grey - 8))
        draw = ImageDraw.Draw(image)
        for _ in range(25):
            x, y = rnd.randrange(0, w), rnd.randrange(0, int(h * 0.8))
            r = rnd.randrange(15, 70)
            tone = grey - rnd.randrange(20, 50)
            draw.ellipse([x - r, y - r // 2, x + r, y + r // 2], fill=(tone, tone, tone - 5))
        for _ in range(14):
            x, y = rnd.randrange(0, w), rnd.randrange(0, int(h * 0.8))
            points = [(x, y)]
            for _k in range(rnd.randrange(4, 9)):
                x += rnd.randrange(-30, 31)
                y += rnd.randrange(5, 35)
                points.append((x, y))
            draw.line(points, fill=(60, 58, 55), width=rnd.randrange(1, 4))
        draw.rectangle([0, int(h * 0.8), w, h], fill=(120, 118, 110))
        for _ in range(6):
            x = rnd.randrange(0, w)
            draw.line(
                [(x, 0), (x + rnd.randrange(-40, 40), int(h * 0.8))], fill=(80, 80, 80), width=3
            )
    out = io.BytesIO()
    if gps is not None:
        exif = Image.Exif()
        exif[0x010F] = "DemoPhone"  # Make
        exif[0x0110] = "DP-1"  # Model
        exif[0x8825] = {1: "N", 2: _dms(gps[1]), 3: "E", 4: _dms(gps[0])}
        image.save(out, format="JPEG", quality=82, exif=exif)
    else:
        image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    return (float(degrees), float(minutes), round((minutes_f - minutes) * 60, 2))


# --- steps ----------------------------------------------------------------------------------
@demo_step("livelihood.programmes", order=90)
def demo_programmes(ctx: DemoContext) -> None:
    for sub_code, programmes in PROGRAMMES.items():
        org = OrgUnit.objects.filter(code=sub_code).first()
        if org is None:
            continue
        for kind, name, brand, description, criteria in programmes:
            programme, _created = Programme.objects.get_or_create(
                org_unit=org,
                kind=kind,
                defaults={"name": name, "brand": brand, "description": description},
            )
            for order, (criterion, weight) in enumerate(criteria, start=1):
                ReviewCriterion.objects.get_or_create(
                    programme=programme,
                    name=criterion,
                    defaults={"weight": weight, "max_score": 10, "order": order},
                )


@demo_step("livelihood.residents", order=91)
def demo_residents(ctx: DemoContext) -> None:
    """Resident accounts (`r<person id>`, no password, shown as "居民") for some people of each
    committee, so that surveys get online answers from residents of their committee."""
    committees = OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=ctx.org("JA").path
    ).order_by("code")
    wanted: list[tuple[Person, OrgUnit]] = []
    for committee in committees:
        n = RESIDENTS_NAMED_COMMITTEES.get(committee.code, RESIDENTS_PER_COMMITTEE)
        people = Person.objects.filter(org_unit=committee).select_related("user").order_by("pk")
        # A person linked to another account (resident1, enterprise1) keeps it.
        own = [p for p in people if p.user is None or p.user.username == f"r{p.pk}"]
        wanted.extend((p, committee) for p in own[:n])
    names = [f"r{p.pk}" for p, _c in wanted]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, display_name="居民", password=make_password(None))
            for name in names
            if name not in have
        ]
    )
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    held = set(
        Membership.objects.filter(user__in=users.values(), role=Role.RESIDENT).values_list(
            "user_id", flat=True
        )
    )
    Membership.objects.bulk_create(
        [
            Membership(user=users[f"r{p.pk}"], role=Role.RESIDENT, org_unit=c)
            for p, c in wanted
            if users[f"r{p.pk}"].pk not in held
        ]
    )
    for person, _c in wanted:
        if person.user_id is None:
            Person.objects.filter(pk=person.pk).update(user=users[f"r{person.pk}"])
    ctx.out(f"    {len(users)} resident accounts for online answers")


def _ensure_funds(
    office: User,
    programmes: dict[str, Programme],
    specs: list[Spec],
    sub: OrgUnit,
    orgs: dict[str, OrgUnit],
    years: list[int],
) -> None:
    """A fund per year for the subdistrict's Beautiful Blocks and for each committee's
    self-governance projects, with room for that year's allocations."""
    need: dict[tuple[str, str, int], Decimal] = {}
    for s in specs:
        owner = sub.code if s.kind == BB else s.org
        if s.reaches(Stage.APPROVED):
            need[(s.kind, owner, s.year)] = need.get((s.kind, owner, s.year), Decimal(0)) + (
                s.allocated
            )
    committees = sorted(c for c, o in orgs.items() if o.kind == OrgKind.COMMITTEE)
    for year in years:
        for kind, programme in programmes.items():
            owners = [sub.code] if kind == BB else committees
            for owner in owners:
                base = Decimal("1500000") if kind == BB else Decimal("60000")
                step = 100_000 if kind == BB else 10_000
                amount = max(
                    base,
                    _round_up(need.get((kind, owner, year), Decimal(0)) * Decimal("1.15"), step),
                )
                if Fund.objects.filter(
                    programme=programme, org_unit=orgs[owner], year=year
                ).exists():
                    continue
                services.fund_save(
                    actor=office,
                    programme=programme,
                    org_unit=orgs[owner],
                    year=year,
                    amount=amount,
                    note="街道美丽街区专项资金"
                    if kind == BB
                    else f"{programme.brand or ''}自治金（居委会）".lstrip(),
                )


@demo_step("livelihood.projects", order=92)
def demo_projects(ctx: DemoContext) -> None:
    """天目西路街道: funds, the 39 + 58 landed projects of 2020–2024 and the current year's."""
    today = timezone.localdate()
    places = _places("TMX")
    specs = tmx_plan(ctx.random, places, today)
    runner = Runner("TMX", today)
    _ensure_funds(
        runner.office,
        runner.programmes,
        specs,
        runner.sub,
        runner.orgs,
        [*SOURCE_YEARS, today.year],
    )
    history = [s for s in specs if s.year in SOURCE_YEARS]
    current = [s for s in specs if s.year not in SOURCE_YEARS]
    for spec in history:
        runner.run(spec)
    for spec in current:
        if spec.end == Stage.EXPERT_REVIEW:
            spec.story = _pending_review(spec, today)
        runner.run(spec)
    runner.read_submitted_requests()
    _resident_proposal()
    _follows()
    ctx.out(f"    天目西路街道: {runner.created} livelihood projects walked through their stages")


def _pending_review(spec: Spec, today: date) -> Story:
    """The current expert-review project: two experts have scored it, expert1 has not."""
    story = generic_story(spec, random.Random(spec.seed), today)
    start = story.stage_at[Stage.EXPERT_REVIEW]
    story.reviews = [
        ("expert2", start + timedelta(days=3), Feasibility.FEASIBLE),
        ("expert3", start + timedelta(days=5), Feasibility.WITH_CHANGES),
        ("expert1", None, Feasibility.FEASIBLE),
    ]
    return story


RESIDENT_PROPOSAL = (
    "展望小区楼道扶手加装",
    "展望小区楼道",
    "楼里老人多，上下楼不方便，希望在楼道里加装扶手，最好晚上也有灯。",
)


def _resident_proposal() -> None:
    resident = User.objects.filter(username="resident1").first()
    programme = Programme.objects.filter(org_unit__code="TMX", kind=SG).first()
    if resident is None or programme is None or not Person.objects.filter(user=resident).exists():
        return
    title, place, text = RESIDENT_PROPOSAL
    if Project.objects.filter(programme=programme, title=title).exists():
        return
    services.project_propose(
        actor=resident,
        programme=programme,
        title=title,
        place_name=place,
        description=text,
        budget_requested="12000",
    )


def _follows() -> None:
    resident = User.objects.filter(username="resident1").first()
    if resident is None:
        return
    for project in Project.objects.filter(title__in=[GARDEN2_TITLE, GUANGFU_TITLE], published=True):
        services.follow_set(actor=resident, project=project)


@demo_step("livelihood.beizhan", order=93)
def demo_beizhan(ctx: DemoContext) -> None:
    """北站街道's own self-governance projects: a few landed in 2024, two under way."""
    if not Programme.objects.filter(org_unit__code="BZ").exists():
        return
    today = timezone.localdate()
    places = _places("BZ")
    planner = Planner(ctx.random, places)
    jan1 = date(today.year, 1, 1)
    span = max((today - jan1).days, 0)
    specs = [
        planner.spec(SG, "BZ-HS", 2024, Stage.EVALUATED),
        planner.spec(SG, "BZ-QY", 2024, Stage.EVALUATED),
        planner.spec(SG, "BZ-XZ", 2024, Stage.COMPLETED),
        planner.spec(
            SG, "BZ-HS", today.year, Stage.IN_WORKS, proposed_on=jan1 + timedelta(days=span // 4)
        ),
        planner.spec(
            SG,
            "BZ-XZ",
            today.year,
            Stage.PROPOSED,
            proposed_on=jan1 + timedelta(days=span * 9 // 10),
        ),
    ]
    specs[-1].published = False
    runner = Runner("BZ", today)
    _ensure_funds(
        runner.office, runner.programmes, specs, runner.sub, runner.orgs, [2024, today.year]
    )
    for spec in specs:
        runner.run(spec)
    runner.read_submitted_requests()
    ctx.out(f"    北站街道: {runner.created} livelihood projects")


@demo_step("livelihood.figures", order=94)
def demo_figures(ctx: DemoContext) -> None:
    """The headline figures, as the overview computes them for the livelihood office."""
    office = User.objects.filter(username="tmx_livelihood").first()
    if office is None:
        return
    counts = selectors.stage_counts(selectors.project_list(user=office))
    landed = {
        kind: sum(n for stage, n in counts.get(kind, {}).items() if stage in DONE_STAGES)
        for kind in (BB, SG)
    }
    funds = selectors.budget_figures(selectors.fund_list(user=office))
    taking_part = selectors.participation(selectors.survey_list(user=office))
    ctx.out(
        f"    livelihood: {landed[BB]} 美丽街区 and {landed[SG]} 自治金 projects landed "
        f"(completed or evaluated), {sum(c.get('total', 0) for c in counts.values())} in all"
    )
    ctx.out(
        f"    funds: {funds['amount']:.2f} 元, allocated {funds['allocated']:.2f} 元, "
        f"spent {funds['spent']:.2f} 元, balance {funds['balance']:.2f} 元"
    )
    ctx.out(
        f"    surveys: {taking_part['surveys']} closed, {taking_part['online']} online and "
        f"{taking_part['paper']} paper answers"
    )
