"""Livelihood test data: programmes with criteria, funds, projects walked to a stage, photos."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from PIL import Image

from jiedao.accounts.models import User
from jiedao.core.models import OrgUnit
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    STAGE_ORDER,
    Feasibility,
    Fund,
    MilestoneState,
    Programme,
    ProgrammeKind,
    Project,
    QuestionKind,
    ReviewCriterion,
    Stage,
    Survey,
    SurveyStatus,
)

_seq = count(1)

QUESTIONS = [
    {"kind": QuestionKind.SINGLE, "text": "是否同意改造？", "choices": ["同意", "不同意"]},
    {"kind": QuestionKind.MULTIPLE, "text": "希望增加的设施", "choices": ["座椅", "绿化", "照明"]},
    {"kind": QuestionKind.SCALE, "text": "对方案的满意度", "scale_min": 1, "scale_max": 5},
    {"kind": QuestionKind.TEXT, "text": "其他意见", "required": False},
]


def make_programme(
    org: OrgUnit, kind: str = ProgrammeKind.BEAUTIFUL_BLOCK, *, brand: str = ""
) -> Programme:
    programme, _ = Programme.objects.get_or_create(
        org_unit=org,
        kind=kind,
        defaults={"name": str(ProgrammeKind(kind).label), "brand": brand},
    )
    for i, (name, weight) in enumerate([("设计方案", 40), ("居民受益", 40), ("造价合理", 20)]):
        ReviewCriterion.objects.get_or_create(
            programme=programme, name=name, defaults={"weight": weight, "max_score": 10, "order": i}
        )
    return programme


def make_fund(
    programme: Programme, org: OrgUnit, *, year: int | None = None, amount: str = "100000"
) -> Fund:
    return Fund.objects.create(
        programme=programme,
        org_unit=org,
        year=year or date.today().year,
        amount=Decimal(amount),
    )


def make_project(
    programme: Programme,
    org: OrgUnit,
    *,
    actor: User,
    title: str | None = None,
    published: bool = False,
    **data: Any,
) -> Project:
    data.setdefault("place_name", "测试路口")
    data.setdefault("budget_requested", "50000")
    return s.project_create(
        actor=actor,
        programme=programme,
        org_unit=org,
        data={"title": title or f"测试项目{next(_seq)}", **data},
        published=published,
    )


def open_survey(
    project: Project, actor: User, questions: list[dict[str, Any]] | None = None
) -> Survey:
    survey = s.survey_create(
        actor=actor, project=project, title="意见征询", questions=questions or QUESTIONS
    )
    return s.survey_open(actor=actor, survey=survey)


def walk_to(
    project: Project,
    stage: str,
    *,
    office: User,
    experts: list[User] | None = None,
    fund: Fund | None = None,
    amount: str = "50000",
) -> Project:
    """Move a project to `stage` by the legal path, creating the records each stage needs."""
    target = STAGE_ORDER.index(Stage(stage))
    while STAGE_ORDER.index(Stage(project.stage)) < target:
        nxt = STAGE_ORDER[STAGE_ORDER.index(Stage(project.stage)) + 1]
        if nxt == Stage.OPINION_SURVEY:
            s.site_survey_record(
                actor=office, project=project, day=date.today(), findings="现场杂乱"
            )
        if nxt == Stage.EXPERT_REVIEW:
            survey = project.surveys.first() or open_survey(project, office)
            if survey.status == SurveyStatus.OPEN:
                s.survey_close(actor=office, survey=survey)
        if nxt == Stage.APPROVED:
            for expert in experts or []:
                a = s.review_assign(actor=office, project=project, expert=expert)
                s.review_submit(
                    actor=expert,
                    assignment=a,
                    scores={c.pk: 8 for c in project.programme.criteria.all()},
                    feasibility=Feasibility.FEASIBLE,
                    cost_estimate="48000",
                    reasons="方案可行",
                )
            assert fund is not None, "approving needs a fund"
            project = s.project_approve(actor=office, project=project, fund=fund, amount=amount)
            continue
        if nxt == Stage.IN_WORKS:
            s.milestone_add(actor=office, project=project, title="施工", weight=1)
        if nxt == Stage.COMPLETED:
            for m in project.milestones.all():
                s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.DONE)
        note = "评估良好" if nxt == Stage.EVALUATED else ""
        project = s.project_transition(actor=office, project=project, to_stage=nxt, note=note)
    project.refresh_from_db()
    return project


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (800, 600), *, gps: bool = False
) -> bytes:
    """A real picture; with `gps`, its EXIF carries a GPS location (like a phone photo)."""
    image = Image.new("RGB", size, (120, 180, 90))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "TestPhone"  # Make
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 50.0), 3: "E", 4: (121.0, 27.0, 30.0)}
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def make_resident(org: OrgUnit, username: str | None = None) -> User:
    """A resident account with its Person record in `org` (a resident of that committee)."""
    from jiedao.accounts.models import Role
    from tests.factories import UserFactory, make_person

    user = UserFactory.with_role(Role.RESIDENT, org, username=username or f"res{next(_seq)}")
    make_person(org, user=user)
    return user


def make_expert(org: OrgUnit, username: str | None = None) -> User:
    from jiedao.accounts.models import Role
    from tests.factories import UserFactory

    return UserFactory.with_role(Role.EXPERT, org, username=username or f"exp{next(_seq)}")
