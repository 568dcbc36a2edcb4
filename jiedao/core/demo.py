"""Demo data: a registry of steps each module plugs into, and the foundation's own steps.

Every step is deterministic (seeded) and idempotent (records keyed by natural keys), so a
second `jiedao demo` adds nothing. Figures the pages show come from these records.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from faker import Faker
from stdnum.cn import ric, uscc

from jiedao.core import pii
from jiedao.core.models import (
    Compound,
    Enterprise,
    Household,
    OfficeBuilding,
    OrgKind,
    OrgUnit,
    Person,
    ResidentialBlock,
)
from jiedao.core.services import PersonData, _apply_person_data


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    func: Callable[[DemoContext], None]


class DemoContext:
    """What a step gets: a seeded random source of its own, a Faker, and a log."""

    def __init__(self, step: str, seed: int, out: Callable[[str], None]) -> None:
        self.random = random.Random(f"{seed}:{step}")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(f"{seed}:{step}")
        self.out = out

    def org(self, code: str) -> OrgUnit:
        return OrgUnit.objects.get(code=code)


STEPS: dict[str, DemoStep] = {}


def demo_step(
    name: str, order: int
) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    def register(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        STEPS[name] = DemoStep(name, order, func)
        return func

    return register


def run_demo(out: Callable[[str], None] = print, seed: int | None = None) -> None:
    seed = settings.JIEDAO_DEMO_SEED if seed is None else seed
    for step in sorted(STEPS.values(), key=lambda s: (s.order, s.name)):
        with transaction.atomic():
            step.func(DemoContext(step.name, seed, out))
        out(f"  ✓ {step.name}")


# --- generators shared by modules' demo steps ---------------------------------------------
def fake_id_number(rnd: random.Random, region: str = "310106", born: date | None = None) -> str:
    if born is None:
        born = date(1940, 1, 1) + timedelta(days=rnd.randrange(0, 65 * 365))
    body = f"{region}{born:%Y%m%d}{rnd.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")


MOBILE_PREFIXES = ("138", "139", "136", "137", "150", "151", "158", "186", "187", "189", "133")


def fake_mobile(rnd: random.Random) -> str:
    return rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(0, 10**8):08d}"


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def fake_credit_code(rnd: random.Random, region: str = "310106") -> str:
    body = "91" + region + "".join(rnd.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


# --- the foundation's data ------------------------------------------------------------------
# A box (west, south, east, north) in WGS-84 around Shanghai Railway Station; approximate.
TMX_BOX = (121.4440, 31.2400, 121.4700, 31.2560)
BZ_BOX = (121.4700, 31.2420, 121.4900, 31.2560)
STATION_LAT = 31.2490  # the railway splits Tianmu West Road into south and north

TMX_COMMITTEES: list[tuple[str, str, str, str]] = [
    # code, name, English name, area
    ("TMX-HX", "华新居委会", "Huaxin", "S"),
    ("TMX-HF", "恒丰居委会", "Hengfeng", "S"),
    ("TMX-XQ", "新桥居委会", "Xinqiao", "S"),
    ("TMX-GF", "光复居委会", "Guangfu", "S"),
    ("TMX-ZX", "中兴居委会", "Zhongxing", "S"),
    ("TMX-AQ", "安庆居委会", "Anqing", "S"),
    ("TMX-FGN", "蕃瓜弄居委会", "Fanguanong", "N"),
    ("TMX-TL", "铁路新村居委会", "Tielu Xincun", "N"),
    ("TMX-MJ", "毛家弄居委会", "Maojianong", "N"),
    ("TMX-TB", "天北居委会", "Tianbei", "N"),
    ("TMX-HY", "和源居委会", "Heyuan", "N"),
    ("TMX-GX", "共和新居委会", "Gongheyin", "N"),
]
BZ_COMMITTEES = [
    ("BZ-HS", "海昌居委会", "Haichang"),
    ("BZ-QY", "晋元居委会", "Jinyuan"),
    ("BZ-XZ", "西藏北居委会", "North Xizang Road"),
]
# Compounds named in the source, with the committee that looks after them.
NAMED_COMPOUNDS = {
    "TMX-FGN": [("蕃瓜弄小区", 1963, "蕃瓜弄")],
    "TMX-TL": [("铁路新村", 1956, "铁路新村")],
    "TMX-MJ": [("毛家弄小区", 1958, "毛家弄")],
    "TMX-HX": [("展望小区", 1985, "天目中路")],
}
NAMED_BUILDINGS = ["凯德星贸广场", "静安国际中心", "金融街中心", "苏河湾大厦", "不夜城大厦"]


def _polygon(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _upsert_org(code: str, **fields: Any) -> OrgUnit:
    org = OrgUnit.objects.filter(code=code).first()
    if org is None:
        org = OrgUnit(code=code, **fields)
        org.save()
    return org


# The source article's "五年来" are 2020–2024 (a report of 2024): the demo's term, whose totals
# the report card shows first.
TERM_START = 2020


@demo_step("core.org_tree", order=10)
def demo_org_tree(ctx: DemoContext) -> None:
    city = _upsert_org(
        "SH", kind=OrgKind.CITY, name="上海市", name_en="Shanghai", term_start=TERM_START
    )
    district = _upsert_org(
        "JA",
        kind=OrgKind.DISTRICT,
        name="静安区",
        name_en="Jing'an District",
        parent=city,
        term_start=TERM_START,
    )
    tmx = _upsert_org(
        "TMX",
        term_start=TERM_START,
        kind=OrgKind.SUBDISTRICT,
        name="天目西路街道",
        name_en="Tianmu West Road Subdistrict",
        parent=district,
        boundary=_polygon(*TMX_BOX),
    )
    west, south, east, north = TMX_BOX
    areas = {
        "S": _upsert_org(
            "TMX-S",
            kind=OrgKind.AREA,
            name="站南片区",
            name_en="South of the station",
            parent=tmx,
            boundary=_polygon(west, south, east, STATION_LAT),
        ),
        "N": _upsert_org(
            "TMX-N",
            kind=OrgKind.AREA,
            name="站北片区",
            name_en="North of the station",
            parent=tmx,
            boundary=_polygon(west, STATION_LAT, east, north),
        ),
    }
    for area_key, (lo, hi) in {"S": (south, STATION_LAT), "N": (STATION_LAT, north)}.items():
        members = [c for c in TMX_COMMITTEES if c[3] == area_key]
        step = (east - west) / len(members)
        for i, (code, name, name_en, _area) in enumerate(members):
            _upsert_org(
                code,
                kind=OrgKind.COMMITTEE,
                name=name,
                name_en=f"{name_en} Committee",
                parent=areas[area_key],
                boundary=_polygon(west + i * step, lo, west + (i + 1) * step, hi),
            )
    bz = _upsert_org(
        "BZ",
        term_start=TERM_START,
        kind=OrgKind.SUBDISTRICT,
        name="北站街道",
        name_en="Beizhan Subdistrict",
        parent=district,
        boundary=_polygon(*BZ_BOX),
    )
    bw, bs, be, bn = BZ_BOX
    step = (be - bw) / len(BZ_COMMITTEES)
    for i, (code, name, name_en) in enumerate(BZ_COMMITTEES):
        _upsert_org(
            code,
            kind=OrgKind.COMMITTEE,
            name=name,
            name_en=f"{name_en} Committee",
            parent=bz,
            boundary=_polygon(bw + i * step, bs, bw + (i + 1) * step, bn),
        )


def _centre(org: OrgUnit) -> tuple[float, float]:
    ring = (org.boundary or {}).get("coordinates", [[[121.455, 31.249]]])[0]
    xs = [p[0] for p in ring[:-1]] or [121.455]
    ys = [p[1] for p in ring[:-1]] or [31.249]
    return sum(xs) / len(xs), sum(ys) / len(ys)


@demo_step("core.places", order=20)
def demo_places(ctx: DemoContext) -> None:
    rnd = ctx.random
    committees = OrgUnit.objects.filter(kind=OrgKind.COMMITTEE).order_by("code")
    for committee in committees:
        lon, lat = _centre(committee)
        named = NAMED_COMPOUNDS.get(committee.code, [])
        generated = [
            (
                f"{committee.name.removesuffix('居委会')}{n}村",
                1980 + rnd.randrange(30),
                committee.name[:2],
            )
            for n in ("一", "二")
        ]
        for name, year, street in (named + generated)[:3]:
            # Draw every random value before looking at the database, so that a second run
            # draws the same sequence and finds every record already there.
            defaults = {
                "address": f"{street}{rnd.randrange(1, 400)}号",
                "longitude": Decimal(f"{lon + rnd.uniform(-0.002, 0.002):.6f}"),
                "latitude": Decimal(f"{lat + rnd.uniform(-0.002, 0.002):.6f}"),
                "built_year": year,
                "floor_area": Decimal(f"{rnd.uniform(8000, 40000):.1f}"),
            }
            blocks = [
                (f"{n}号", rnd.choice([5, 6, 7, 18]), rnd.randrange(20, 90))
                for n in range(1, rnd.randrange(4, 9))
            ]
            compound, created = Compound.objects.get_or_create(
                org_unit=committee, name=name, defaults=defaults
            )
            if created:
                ResidentialBlock.objects.bulk_create(
                    ResidentialBlock(compound=compound, number=n, floors=f, dwellings=d)
                    for n, f, d in blocks
                )
    for sub_code, area_code, count, names in (
        ("TMX", "TMX-S", 64, NAMED_BUILDINGS),
        ("BZ", "BZ", 8, []),
    ):
        org = ctx.org(area_code)
        lon, lat = _centre(org)
        existing = set(OfficeBuilding.objects.filter(org_unit=org).values_list("name", flat=True))
        buildings = []
        for i in range(count):
            name = (
                names[i]
                if i < len(names)
                else f"{ctx.fake.last_name()}{rnd.choice(['大厦', '广场', '中心', '商务楼'])}{i + 1}号楼"
            )
            building = OfficeBuilding(
                org_unit=org,
                name=name,
                address=f"{rnd.choice(['天目西路', '恒丰路', '共和新路', '梅园路'])}{rnd.randrange(1, 600)}号",
                longitude=Decimal(f"{lon + rnd.uniform(-0.008, 0.008):.6f}"),
                latitude=Decimal(f"{lat + rnd.uniform(-0.003, 0.003):.6f}"),
                floors=rnd.randrange(8, 45),
                floor_area=Decimal(f"{rnd.uniform(15000, 120000):.1f}"),
            )
            if name not in existing:
                buildings.append(building)
                existing.add(name)
        OfficeBuilding.objects.bulk_create(buildings)
        ctx.out(
            f"    {sub_code}: {OfficeBuilding.objects.filter(org_unit=org).count()} office buildings"
        )


PEOPLE_PER_COMMITTEE = 40


@demo_step("core.people", order=30)
def demo_people(ctx: DemoContext) -> None:
    rnd, fake = ctx.random, ctx.fake
    existing = set(Person.objects.values_list("id_number_hash", flat=True))
    new_people: list[Person] = []
    for committee in OrgUnit.objects.filter(kind=OrgKind.COMMITTEE).order_by("code"):
        compounds = list(Compound.objects.filter(org_unit=committee).order_by("name"))
        region = "310108" if committee.code.startswith("BZ") else "310106"
        for i in range(PEOPLE_PER_COMMITTEE):
            id_number = fake_id_number(rnd, region=region)
            phone = fake_mobile(rnd)
            name = fake.name()
            compound = compounds[i % len(compounds)] if compounds else None
            address = f"{compound.name if compound else committee.name}{rnd.randrange(1, 9)}号{rnd.randrange(101, 605)}室"
            if pii.blind_index(id_number) in existing:
                continue
            person = Person(org_unit=committee)
            _apply_person_data(person, PersonData(name, id_number, phone, address))
            new_people.append(person)
    Person.objects.bulk_create(new_people, batch_size=500)
    # Households: people at one address form a household.
    for person in (
        Person.objects.filter(household__isnull=True).exclude(address="").select_related("org_unit")
    ):
        household, _created = Household.objects.get_or_create(
            org_unit=person.org_unit, address=person.address
        )
        Person.objects.filter(pk=person.pk).update(household=household)
    ctx.out(f"    {Person.objects.count()} people")


ENTERPRISES_PER_BUILDING = 3


@demo_step("core.enterprises", order=40)
def demo_enterprises(ctx: DemoContext) -> None:
    rnd, fake = ctx.random, ctx.fake
    existing = set(Enterprise.objects.values_list("credit_code", flat=True))
    new: list[Enterprise] = []
    for building in OfficeBuilding.objects.select_related("org_unit").order_by(
        "org_unit__code", "name"
    ):
        subdistrict = building.org_unit.ancestor_of_kind(OrgKind.SUBDISTRICT) or building.org_unit
        region = "310108" if subdistrict.code == "BZ" else "310106"
        for _i in range(ENTERPRISES_PER_BUILDING):
            code = fake_credit_code(rnd, region=region)
            name = fake.company()
            floor = rnd.randrange(1, max(building.floors, 2))
            if code in existing:
                continue
            new.append(
                Enterprise(
                    org_unit=subdistrict,
                    name=name,
                    credit_code=code,
                    building=building,
                    floor=floor,
                )
            )
    Enterprise.objects.bulk_create(new, batch_size=500)
    ctx.out(f"    {Enterprise.objects.count()} enterprises")


@demo_step("core.figures", order=1000)
def figures_rollups(ctx: DemoContext) -> None:
    """Last: the roll-ups counted from every record the steps before made (some bulk-inserted)."""
    from jiedao.core import figures

    rows = figures.rebuild()
    ctx.out(f"    roll-ups: {rows} rows counted from the records")
