"""The urban-renewal figures: projects delivered and planned, floor area, days to 100%."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import Cell, Figure, Source, Sums
from jiedao.renewal.models import DELIVERED_PHASES, Phase, RenewalProject

PROJECTS = "renewal.projects"  # dim = delivered / planned / active / stopped; total = 0.1 m²
# Per project that reached 100% signed and cleared (dim = its start date and id): total = days.
FULL_DAYS = "renewal.full_days"


def _bucket(phase: str) -> str:
    if phase in DELIVERED_PHASES:
        return "delivered"
    if phase == Phase.PLANNED:
        return "planned"
    if phase == Phase.STOPPED:
        return "stopped"
    return "active"


def _rows(pks: list[Any] | None) -> Iterable[RenewalProject]:
    qs = RenewalProject.objects.all() if pks is None else RenewalProject.objects.filter(pk__in=pks)
    return qs.order_by("pk")


def _cells(project: RenewalProject) -> list[Cell]:
    from jiedao.renewal.selectors import days_to_full

    tenths = int(Decimal(project.floor_area) * 10)
    out = [Cell(project.org_unit_id, PROJECTS, "", _bucket(project.phase), 1, tenths)]
    if project.started_on is not None:
        full = days_to_full(project)
        if full["signed"] is not None and full["cleared"] is not None:
            days = max(full["signed"], full["cleared"])
            dim = f"{project.started_on.isoformat()}#{project.pk}"
            out.append(Cell(project.org_unit_id, FULL_DAYS, "", dim, 1, days))
    return out


SOURCES = [Source("renewal.project", RenewalProject, _rows, _cells)]


def _latest(sums: Sums) -> int | None:
    done = sums.dims(FULL_DAYS)
    return done[max(done)][1] if done else None


def _projects(org: Any, year: int | None) -> str:
    return reverse("renewal_projects")


FIGURES = [
    Figure(
        key="renewal.delivered",
        module="renewal",
        label=_("已完成旧改项目"),
        definition=_("已进入拆除阶段及以后（拆除、建设、回搬、完成）的更新项目数"),
        metrics=(PROJECTS,),
        compute=lambda s, today: s.n(PROJECTS, "delivered"),
        unit=_("个"),
        flow=False,
        drill=_projects,
        drill_model=RenewalProject,
        order=300,
    ),
    Figure(
        key="renewal.delivered_area",
        module="renewal",
        label=_("已完成建筑面积"),
        definition=_("已完成旧改项目的建筑面积之和"),
        metrics=(PROJECTS,),
        compute=lambda s, today: Decimal(s.total(PROJECTS, "delivered")) / 10,
        unit="m²",
        decimals=1,
        flow=False,
        drill=_projects,
        drill_model=RenewalProject,
        order=301,
    ),
    Figure(
        key="renewal.planned",
        module="renewal",
        label=_("计划中项目"),
        definition=_("处于计划阶段的更新项目数"),
        metrics=(PROJECTS,),
        compute=lambda s, today: s.n(PROJECTS, "planned"),
        unit=_("个"),
        flow=False,
        better=None,
        order=302,
    ),
    Figure(
        key="renewal.latest_full_days",
        module="renewal",
        label=_("最近项目签约搬迁天数"),
        definition=_(
            "最近启动、且已100%签约并100%搬离的项目，从启动到全部签约搬离所用天数（启动当天为第1天）"
        ),
        metrics=(FULL_DAYS,),
        compute=lambda s, today: _latest(s),
        unit=_("天"),
        flow=False,
        better="low",
        order=303,
    ),
    Figure(
        key="renewal.full_projects",
        module="renewal",
        label=_("100%签约且100%搬离的项目"),
        definition=_("所有居民户都已签约并搬离（搬场、交钥匙、验房均已登记）的项目数"),
        metrics=(FULL_DAYS,),
        compute=lambda s, today: s.n(FULL_DAYS),
        unit=_("个"),
        flow=False,
        order=304,
    ),
]
