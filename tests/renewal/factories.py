"""Renewal test data: a project with n households, households, signed agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from jiedao.core import figures
from jiedao.core.models import Compound, OrgUnit
from jiedao.renewal.models import (
    Agreement,
    Answer,
    Household,
    Phase,
    ProjectKind,
    RenewalProject,
    Tenure,
)
from tests.factories import CompoundFactory

OPTIONS = [
    {"code": "move_back", "label": "原地回搬"},
    {"code": "cash", "label": "货币补偿"},
]
_seq = count(1)


def make_project(
    org: OrgUnit,
    compound: Compound | None = None,
    *,
    households: int = 0,
    phase: str = Phase.PLANNED,
    name: str | None = None,
    floor_area: Decimal = Decimal("1000.0"),
    **kwargs: Any,
) -> RenewalProject:
    kwargs.setdefault("kind", ProjectKind.REBUILD)
    kwargs.setdefault("options", OPTIONS)
    project = RenewalProject.objects.create(
        org_unit=org,
        compound=compound or CompoundFactory(org_unit=org),
        name=name or f"更新项目{next(_seq)}",
        phase=phase,
        floor_area=floor_area,
        planned_households=households,
        **kwargs,
    )
    # Projects are set up in the admin, which counts them in the figures' roll-ups.
    figures.added(RenewalProject, [project.pk])
    for i in range(households):
        make_household(project, room=f"{101 + i}")
    return project


def make_household(
    project: RenewalProject,
    *,
    block: str = "1",
    room: str | None = None,
    answer: str = Answer.NONE,
    answered_on: date | None = None,
    **kwargs: Any,
) -> Household:
    return Household.objects.create(
        project=project,
        block=block,
        room=room or f"{next(_seq)}",
        floor_area=kwargs.pop("floor_area", Decimal("40.0")),
        tenure=kwargs.pop("tenure", Tenure.PUBLIC),
        answer=answer,
        answered_on=answered_on,
        **kwargs,
    )


def make_agreement(
    household: Household,
    *,
    signed_on: date = date(2025, 3, 1),
    option: str = "move_back",
    compensation: Decimal = Decimal("0"),
    relocation_allowance: Decimal = Decimal("0"),
    **kwargs: Any,
) -> Agreement:
    """An agreement written directly (for selector tests; services are tested separately)."""
    return Agreement.objects.create(
        household=household,
        number=kwargs.pop("number", f"XY-{next(_seq):05d}"),
        option=option,
        signed_on=signed_on,
        signed_by=kwargs.pop("signed_by", "张三"),
        compensation=compensation,
        relocation_allowance=relocation_allowance,
        **kwargs,
    )


def set_answers(project: RenewalProject, agree: int, disagree: int = 0) -> None:
    """The first `agree` households agree, the next `disagree` disagree, the rest are silent."""
    rows = list(project.households.order_by("pk"))
    for h in rows[:agree]:
        h.answer, h.answered_on = Answer.AGREE, date(2025, 1, 10)
    for h in rows[agree : agree + disagree]:
        h.answer, h.answered_on = Answer.DISAGREE, date(2025, 1, 10)
    Household.objects.bulk_update(rows, ["answer", "answered_on"])
