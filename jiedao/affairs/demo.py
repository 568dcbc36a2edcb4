"""Demo data of government services: the catalogue, the 1+3+12+X network, five years of
tickets with trips, return visits and door-to-door help (all seeded, idempotent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiedao.affairs.models import PointKind, ServiceItem, ServicePoint
from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import OrgKind, OrgUnit

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
