"""The livelihood figures: projects landed (completed or evaluated) per programme and year."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import Cell, Figure, Source
from jiedao.livelihood.models import FUNDED_STAGES, ProgrammeKind, Project, Stage

LANDED = "livelihood.landed"  # dim = programme kind; period = the project's year
FUNDED = "livelihood.funded"  # approved or later; total = allocated budget in fen (0.01 yuan)
PROJECTS = "livelihood.projects"  # every project: dim = "kind:stage"; period = its year
PROJECTS_AT = "livelihood.projects_at"  # every project: dim = "own org unit id:kind"
LANDED_STAGES = frozenset({Stage.COMPLETED, Stage.EVALUATED})


def _rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = Project.objects.all() if pks is None else Project.objects.filter(pk__in=pks)
    return qs.order_by().values_list(
        "org_unit_id", "year", "stage", "programme__kind", "budget_allocated"
    )


def _cells(row: tuple[Any, ...]) -> list[Cell]:
    org, year, stage, kind, allocated = row
    out = [
        Cell(org, PROJECTS, str(year), f"{kind}:{stage}"),
        Cell(org, PROJECTS_AT, str(year), f"{org}:{kind}"),
    ]
    if stage in LANDED_STAGES:
        out.append(Cell(org, LANDED, str(year), kind))
    if stage in FUNDED_STAGES:
        out.append(Cell(org, FUNDED, str(year), kind, 1, int(Decimal(allocated or 0) * 100)))
    return out


SOURCES = [Source("livelihood.project", Project, _rows, _cells)]


def _landed_url(kind: str) -> Any:
    def url(org: Any, year: int | None) -> str:
        params: dict[str, Any] = {"stage": "done", "kind": kind, "org": org.path}
        if year is not None:
            params["year"] = year
        return f"{reverse('livelihood_projects')}?{urlencode(params)}"

    return url


FIGURES = [
    Figure(
        key="livelihood.beautiful_blocks",
        module="livelihood",
        label=_("美丽街区项目"),
        definition=_("已完工或已评估的美丽街区项目数，按项目年度计"),
        metrics=(LANDED,),
        compute=lambda s, today: s.n(LANDED, ProgrammeKind.BEAUTIFUL_BLOCK),
        unit=_("个"),
        drill=_landed_url(ProgrammeKind.BEAUTIFUL_BLOCK),
        drill_model=Project,
        order=400,
    ),
    Figure(
        key="livelihood.self_governance",
        module="livelihood",
        label=_("自治金项目"),
        definition=_("已完工或已评估的自治金项目数，按项目年度计"),
        metrics=(LANDED,),
        compute=lambda s, today: s.n(LANDED, ProgrammeKind.SELF_GOVERNANCE),
        unit=_("个"),
        drill=_landed_url(ProgrammeKind.SELF_GOVERNANCE),
        drill_model=Project,
        order=401,
    ),
    Figure(
        key="livelihood.allocated",
        module="livelihood",
        label=_("民生项目立项金额"),
        definition=_("已立项（含实施中、已完工、已评估）项目的核定金额之和，按项目年度计"),
        metrics=(FUNDED,),
        compute=lambda s, today: Decimal(s.total(FUNDED)) / 100,
        unit=_("元"),
        decimals=2,
        better=None,
        order=402,
    ),
]
