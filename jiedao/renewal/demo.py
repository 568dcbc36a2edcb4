"""Demo data of urban renewal (seeded, idempotent)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import Compound, Person
from jiedao.renewal import selectors
from jiedao.renewal.models import (
    Agreement,
    Answer,
    EntryCategory,
    EntryKind,
    FundingSource,
    Household,
    LedgerEntry,
    Phase,
    ProjectKind,
    RenewalProject,
    SourceKind,
    Tenure,
    Visit,
    WorkMethod,
)

User = get_user_model()

# The "eight methods of mass work" (群众工作八法) as the catalogue's first entries; the source
# names the eight methods without listing them, so these are descriptive working names.
EIGHT_METHODS = [
    ("党员带头法", "党员、楼组长先签约、先搬场，带动邻里。"),
    ("上门走访法", "一户一档，反复上门，面对面听取诉求。"),
    ("政策宣讲法", "逐条讲清补偿安置政策，算清明白账。"),
    ("亲情动员法", "请亲属、老邻居一起做工作。"),
    ("专业帮办法", "律师、评估师现场解答法律和评估问题。"),
    ("难题会商法", "对继承纠纷等疑难户集体会商、一户一策。"),
    ("暖心服务法", "为老人、残疾人提供搬家、过渡等帮助。"),
    ("公开透明法", "方案、进度、结果全程公开，接受监督。"),
]


@demo_step("renewal.methods", order=80)
def demo_methods(ctx: DemoContext) -> None:
    for order, (name, description) in enumerate(EIGHT_METHODS):
        WorkMethod.objects.get_or_create(
            name=name, defaults={"description": description, "order": order}
        )


# --- projects ---------------------------------------------------------------------------------
# The three completed projects' floor areas sum to the reported 47,589.3 m².
DONE_PROJECTS = [
    # committee, compound, name, kind, floor area, households, start
    (
        "TMX-FGN",
        "蕃瓜弄小区",
        "蕃瓜弄小区拆除重建",
        ProjectKind.REBUILD,
        "32000.0",
        1100,
        (2023, 3, 1),
    ),
    ("TMX-TL", "铁路新村", "铁路新村征收", ProjectKind.EXPROPRIATE, "9876.5", 60, (2021, 4, 6)),
    (
        "TMX-MJ",
        "毛家弄小区",
        "毛家弄小区成套改造",
        ProjectKind.RENOVATE,
        "5712.8",
        40,
        (2020, 9, 1),
    ),
]
PLANNED_COMMITTEES = ["TMX-TB", "TMX-HY"]
OPTIONS = [
    {"code": "move_back", "label": "原地回搬"},
    {"code": "cash", "label": "货币补偿"},
    {"code": "elsewhere", "label": "异地安置"},
]
FLOORS, ROOMS_PER_FLOOR = 5, 10
TOPICS = [
    ("政策宣讲：补偿安置方案与回搬面积测算。", "担心过渡期租房困难。"),
    ("上门听取意见，核对户籍和面积。", "家中老人行动不便，搬家有困难。"),
    ("解释签约流程和奖励期限。", "对回搬楼层安排有疑问。"),
]


def _populate(
    ctx: DemoContext,
    project: RenewalProject,
    count: int,
    *,
    agree_days: int,
    sign_from: int,
    sign_days: int,
    full_on: int,
    visits: int,
) -> None:
    """Households of a project that went all the way: every household agreed within
    `agree_days`, signed on days sign_from…sign_from+sign_days-1 and was cleared by day
    `full_on` (the last household exactly then). Day n is started_on + n - 1."""
    rnd = ctx.random
    start = project.started_on
    assert start is not None
    people = list(
        Person.objects.filter(org_unit=project.compound.org_unit)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    staff = list(
        User.objects.filter(username__in=["tmx_renewal", "tmx_admin"]).order_by("username")
    )
    methods = list(WorkMethod.objects.order_by("order"))
    day = lambda n: start + timedelta(days=n - 1)  # noqa: E731
    households: list[Household] = []
    for i in range(count):
        block, rest = divmod(i, FLOORS * ROOMS_PER_FLOOR)
        floor, room = divmod(rest, ROOMS_PER_FLOOR)
        sign_n = sign_from + i % sign_days
        moved_n = min(sign_n + rnd.randrange(1, 4), full_on)
        keys_n = min(moved_n + rnd.randrange(0, 2), full_on)
        inspected_n = full_on if i == count - 1 else min(keys_n + rnd.randrange(0, 2), full_on)
        households.append(
            Household(
                project=project,
                block=str(block + 1),
                unit="",
                room=f"{floor + 1}{room + 1:02d}",
                floor_area=Decimal(140 + rnd.randrange(0, 120)) / 10,
                tenure=Tenure.PUBLIC if rnd.random() < 0.9 else Tenure.PRIVATE,
                contact_id=people[i % len(people)] if people else None,
                special=["独居老人"] if rnd.random() < 0.05 else [],
                assigned_to=staff[i % len(staff)] if staff else None,
                answer=Answer.AGREE,
                answered_on=day(1 + i % agree_days),
                moved_on=day(moved_n),
                keys_on=day(keys_n),
                inspected_on=day(inspected_n),
            )
        )
    Household.objects.bulk_create(households, batch_size=500)
    households = list(project.households.select_related("contact").order_by("block", "room"))
    prefix = {"TMX-FGN": "FGN", "TMX-TL": "TLXC", "TMX-MJ": "MJN"}.get(
        project.compound.org_unit.code, "GX"
    )
    agreements: list[Agreement] = []
    for i, h in enumerate(households):
        option = OPTIONS[0 if i % 10 < 7 else (1 if i % 10 < 9 else 2)]["code"]
        agreements.append(
            Agreement(
                household=h,
                number=f"{prefix}-{start.year}-{i + 1:04d}",
                option=option if project.kind == ProjectKind.REBUILD else "cash",
                signed_on=day(sign_from + i % sign_days),
                signed_by=h.contact.name if h.contact else "户主",
                compensation=(h.floor_area * Decimal(45000)).quantize(Decimal("0.01")),
                relocation_allowance=Decimal("12000.00"),
            )
        )
    Agreement.objects.bulk_create(agreements, batch_size=500)
    agreements = list(Agreement.objects.filter(household__project=project).order_by("pk"))
    entries: list[LedgerEntry] = []
    for a in agreements:
        for category, amount in (
            (EntryCategory.COMPENSATION, a.compensation),
            (EntryCategory.RELOCATION, a.relocation_allowance),
        ):
            for kind in (EntryKind.COMMITMENT, EntryKind.PAYMENT):
                entries.append(
                    LedgerEntry(
                        project=project,
                        kind=kind,
                        category=category,
                        amount=amount,
                        date=a.signed_on if kind == EntryKind.COMMITMENT else day(full_on),
                        household_id=a.household_id,
                        agreement=a,
                        note=f"协议 {a.number}",
                    )
                )
    construction = (project.floor_area * Decimal(6000)).quantize(Decimal("0.01"))
    entries.append(
        LedgerEntry(
            project=project,
            kind=EntryKind.COMMITMENT,
            category=EntryCategory.CONSTRUCTION,
            amount=construction,
            date=day(full_on + 30),
            note="施工总承包合同",
        )
    )
    entries.append(
        LedgerEntry(
            project=project,
            kind=EntryKind.PAYMENT,
            category=EntryCategory.CONSTRUCTION,
            amount=(construction * Decimal("0.3")).quantize(Decimal("0.01")),
            date=day(full_on + 60),
            note="工程预付款",
        )
    )
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    committed = sum((e.amount for e in entries if e.kind == EntryKind.COMMITMENT), Decimal(0))
    # The budget covers every commitment with a small reserve: the funds balance.
    district = (committed * Decimal("0.6")).quantize(Decimal("1"))
    city = (committed * Decimal("0.42")).quantize(Decimal("1"))
    FundingSource.objects.bulk_create(
        [
            FundingSource(
                project=project, kind=SourceKind.DISTRICT, amount=district, note="区财政"
            ),
            FundingSource(project=project, kind=SourceKind.CITY, amount=city, note="市级旧改资金"),
        ]
    )
    if not staff:
        return
    rows: list[Visit] = []
    for i, h in enumerate(households):
        for k in range(visits):
            discussed, concern = TOPICS[(i + k) % len(TOPICS)]
            raised = k == 0 and i % 7 == 0
            rows.append(
                Visit(
                    household=h,
                    date=day(1 + min(k * 8 + i % 8, full_on - 1)),
                    staff=staff[(i + k) % len(staff)],
                    discussed=discussed,
                    concerns=concern if raised else "",
                    promises="协调搬家车辆和过渡房源。" if raised else "",
                    # Every concern raised was resolved on a later visit.
                    follow_up="已解决，居民表示满意。" if raised else "",
                    concern_open=False,
                    method=methods[(i + k) % len(methods)] if methods else None,
                )
            )
    Visit.objects.bulk_create(rows, batch_size=1000)


@demo_step("renewal.projects", order=81)
def demo_projects(ctx: DemoContext) -> None:
    for code, compound_name, name, kind, area, count, (y, mo, d) in DONE_PROJECTS:
        org = ctx.org(code)
        compound = Compound.objects.get(org_unit=org, name=compound_name)
        start = date(y, mo, d)
        rebuild = kind == ProjectKind.REBUILD
        project, created = RenewalProject.objects.get_or_create(
            org_unit=org,
            name=name,
            defaults={
                "compound": compound,
                "kind": kind,
                "phase": Phase.CONSTRUCTION if rebuild else Phase.DONE,
                "floor_area": Decimal(area),
                "planned_households": count,
                "team": "城市更新办、蕃瓜弄居委会" if rebuild else "城市更新办",
                "started_on": start,
                "consultation_closed_on": start + timedelta(days=10),
                "signing_deadline": start + timedelta(days=43),
                "completed_on": None if rebuild else start + timedelta(days=400),
                "agree_threshold": Decimal("0.900"),
                "sign_threshold": Decimal("0.850"),
                "consultation_passed": True,
                "agreements_effective": True,
                "options": OPTIONS if rebuild else [{"code": "cash", "label": "货币补偿"}],
            },
        )
        if created:
            if rebuild:
                _populate(
                    ctx,
                    project,
                    count,
                    agree_days=10,
                    sign_from=11,
                    sign_days=34,
                    full_on=49,
                    visits=3,
                )
            else:
                _populate(
                    ctx,
                    project,
                    count,
                    agree_days=5,
                    sign_from=10,
                    sign_days=20,
                    full_on=40,
                    visits=1,
                )
    for code in PLANNED_COMMITTEES:
        org = ctx.org(code)
        planned = Compound.objects.filter(org_unit=org).order_by("name").first()
        if planned is None:
            continue
        RenewalProject.objects.get_or_create(
            org_unit=org,
            name=f"{planned.name}成套改造",
            defaults={
                "compound": planned,
                "kind": ProjectKind.RENOVATE,
                "phase": Phase.PLANNED,
                "floor_area": Decimal(8000 + ctx.random.randrange(0, 40000)) / 10 * 10,
                "planned_households": 80 + ctx.random.randrange(0, 120),
                "team": "城市更新办",
                "options": [{"code": "move_back", "label": "原地回搬"}],
            },
        )
    admin = User.objects.filter(username="tmx_admin").first()
    if admin is not None:
        o = selectors.overview(user=admin)
        ctx.out(
            f"    renewal: {o.done} done, {o.planned} planned, "
            f"{o.done_floor_area.quantize(Decimal('0.1'))} m² done floor area"
        )
    fgn = RenewalProject.objects.filter(name="蕃瓜弄小区拆除重建").first()
    if fgn is not None:
        ctx.out(f"    蕃瓜弄 days to full: {selectors.days_to_full(fgn)}")
