"""Writes of the livelihood module: one function each, checked, atomic and audited.

Who decides what:
- the livelihood office (holders of `change` on the project's `Programme`: subdistrict
  administrators and livelihood officers) approves, rejects, assigns experts and manages funds;
- committee workers and the office run a project's daily work (site surveys, opinion surveys,
  paper answers, milestones, photos): `change` on the `Project`;
- experts submit the reviews assigned to them, and nothing else;
- residents propose projects, answer open surveys of their committee once, and follow projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.accounts.models import Role
from jiedao.core import figures
from jiedao.core.audit import acting_as
from jiedao.core.models import Compound, OrgUnit, Person
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.services import notification_send
from jiedao.livelihood import photos as photo_lib
from jiedao.livelihood.models import (
    CLOSED_STAGES,
    FUNDED_STAGES,
    REASON_REQUIRED,
    STAGE_TRANSITIONS,
    Feasibility,
    Follow,
    Fund,
    Milestone,
    MilestoneState,
    PartyKind,
    Photo,
    PhotoKind,
    PlaceKind,
    Programme,
    Project,
    ProjectParty,
    ProjectTransition,
    ProposerKind,
    Question,
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    ReviewAssignment,
    ReviewCriterion,
    ReviewScore,
    SiteSurvey,
    Spending,
    Stage,
    Survey,
    SurveyStatus,
)
from jiedao.livelihood.policies import is_public, may_reach

CENT = Decimal("0.01")


class IllegalTransition(ValidationError):
    pass


class Overdraw(ValidationError):
    """An approval or a spending would take more than there is."""


def _require(actor: Any, action: Action, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise NotPermitted(action)


def is_office(actor: Any, project: Project) -> bool:
    """The livelihood office of the project's subdistrict (may approve, reject, assign)."""
    return policy.can(actor, Action.CHANGE, project.programme)


def _require_office(actor: Any, project: Project) -> None:
    if not is_office(actor, project):
        raise NotPermitted(Action.CHANGE)


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
        if not amount.is_finite():  # "NaN" parses but cannot be compared
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({field: [_("请输入金额（元）。")]}) from exc
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field: [_("金额必须大于零。") if positive else _("金额不能为负。")]})
    return amount


# --- funds ---------------------------------------------------------------------------------
def fund_allocated(fund: Fund) -> Decimal:
    """What the fund's approved projects hold (a withdrawn or rejected project holds nothing)."""
    total = fund.projects.filter(stage__in=FUNDED_STAGES).aggregate(s=Sum("budget_allocated"))["s"]
    return (total or Decimal("0")).quantize(CENT)


def fund_save(
    *,
    actor: Any,
    programme: Programme,
    org_unit: OrgUnit,
    year: int,
    amount: Any,
    note: str = "",
) -> Fund:
    """Create a programme's fund for a year and unit, or change its amount (never below what
    its projects already hold)."""
    amount_d = _money(amount, "amount")
    if not org_unit.path.startswith(programme.org_unit.path):
        raise ValidationError({"org_unit": [_("资金归属必须是本街道或其下属居委会。")]})
    policy.require_in_org(actor, Fund, Action.ADD, org_unit)
    with transaction.atomic(), acting_as(actor):
        fund, created = Fund.objects.select_for_update().get_or_create(
            programme=programme,
            org_unit=org_unit,
            year=year,
            defaults={"amount": amount_d, "note": note[:200]},
        )
        if not created:
            _require(actor, Action.CHANGE, fund)
            held = fund_allocated(fund)
            if amount_d < held:
                raise Overdraw(
                    {
                        "amount": [
                            _("已立项项目占用 %(held)s 元，预算不能少于此数。") % {"held": held}
                        ]
                    }
                )
            fund.amount = amount_d
            fund.note = note[:200]
            fund.save(update_fields=["amount", "note", "updated_at"])
    return fund


# --- projects ------------------------------------------------------------------------------
PROJECT_FIELDS = (
    "title",
    "theme",
    "description",
    "place_kind",
    "place_name",
    "address",
    "compound",
    "longitude",
    "latitude",
    "proposer_kind",
    "proposer_name",
    "budget_requested",
    "year",
)


def _clean_project(data: Mapping[str, Any], org_unit: OrgUnit) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {k: data[k] for k in PROJECT_FIELDS if k in data}
    for key in ("title", "place_name"):
        if key in out:
            out[key] = str(out[key] or "").strip()
            if not out[key]:
                errors[key] = [_("此项为必填项。")]
    if "place_kind" in out and out["place_kind"] not in PlaceKind.values:
        errors["place_kind"] = [_("地点类型不正确。")]
    if "proposer_kind" in out and out["proposer_kind"] not in ProposerKind.values:
        errors["proposer_kind"] = [_("提议方类型不正确。")]
    if "budget_requested" in out:
        try:
            out["budget_requested"] = _money(out["budget_requested"] or 0, "budget_requested")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    compound = out.get("compound")
    if compound is not None and not isinstance(compound, Compound):
        errors["compound"] = [_("小区不正确。")]
    elif compound is not None and not compound.org_unit.path.startswith(org_unit.path):
        errors["compound"] = [_("小区不在该居委会辖区内。")]
    for key, low, high in (("longitude", 73, 136), ("latitude", 3, 54)):
        if key not in out:  # a partial update leaves the stored coordinates alone
            continue
        value = out[key]
        if value in ("", None):
            out[key] = None
            continue
        try:
            d = Decimal(str(value)).quantize(Decimal("0.000001"))
            if not d.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError) as exc:
            errors[key] = [_("坐标格式不正确。")]
            del exc
            continue
        if not low <= d <= high:
            errors[key] = [_("坐标不在中国境内。")]
        out[key] = d
    if "year" in out:
        try:
            out["year"] = int(out["year"])
            if not 2000 <= out["year"] <= 2100:
                raise ValueError
        except (TypeError, ValueError):
            errors["year"] = [_("年度不正确。")]
    if errors:
        raise ValidationError(errors)
    return out


def project_create(
    *,
    actor: Any,
    programme: Programme,
    org_unit: OrgUnit,
    data: Mapping[str, Any],
    proposed_on: date | None = None,
    parties: Iterable[tuple[str, str, str]] = (),
    published: bool = False,
) -> Project:
    """Staff register a project for a committee (or the subdistrict itself)."""
    if not org_unit.path.startswith(programme.org_unit.path):
        raise ValidationError({"org_unit": [_("项目所属组织必须在本街道内。")]})
    policy.require_in_org(actor, Project, Action.ADD, org_unit)
    fields = _clean_project({"year": (proposed_on or timezone.localdate()).year, **data}, org_unit)
    for key in ("title", "place_name"):
        if not fields.get(key):
            raise ValidationError({key: [_("此项为必填项。")]})
    with transaction.atomic(), acting_as(actor):
        if Project.objects.filter(
            programme=programme, org_unit=org_unit, title=fields["title"]
        ).exists():
            raise ValidationError({"title": [_("该居委会已有同名项目。")]})
        project = Project.objects.create(
            programme=programme,
            org_unit=org_unit,
            proposed_on=proposed_on or timezone.localdate(),
            stage=Stage.PROPOSED,
            stage_changed_at=timezone.now(),
            published=published,
            **fields,
        )
        for kind, name, role in parties:
            _party_add(project, kind, name, role)
        ProjectTransition.objects.create(
            project=project,
            from_stage="",
            to_stage=Stage.PROPOSED,
            actor=actor,
            created_at=timezone.now(),
        )
        figures.added(Project, [project.pk])
    return project


def resident_person(user: Any) -> Person | None:
    return Person.objects.select_related("org_unit").filter(user=user).first()


def project_propose(
    *,
    actor: Any,
    programme: Programme,
    title: str,
    place_name: str,
    description: str,
    budget_requested: Any = 0,
    theme: str = "",
) -> Project:
    """A resident proposes a project for their own committee. It stays unpublished until staff
    publish it, and shows no name: the proposer is "居民"."""
    if not policy.has_role(actor, {Role.RESIDENT}):
        raise NotPermitted(Action.ADD)
    person = resident_person(actor)
    if person is None or not person.org_unit.path.startswith(programme.org_unit.path):
        raise ValidationError(_("您的居民档案不在本街道，无法提议该项目。"))
    if not description.strip():
        raise ValidationError({"description": [_("请写下您的提议内容。")]})
    fields = _clean_project(
        {
            "title": title,
            "place_name": place_name,
            "description": description.strip()[:4000],
            "theme": theme,
            "budget_requested": budget_requested or 0,
            "proposer_kind": ProposerKind.RESIDENT,
            "proposer_name": "",
            "year": timezone.localdate().year,
        },
        person.org_unit,
    )
    with transaction.atomic(), acting_as(actor):
        if Project.objects.filter(
            programme=programme, org_unit=person.org_unit, title=fields["title"]
        ).exists():
            raise ValidationError({"title": [_("该居委会已有同名项目。")]})
        project = Project.objects.create(
            programme=programme,
            org_unit=person.org_unit,
            proposed_by=actor,
            proposed_on=timezone.localdate(),
            stage=Stage.PROPOSED,
            stage_changed_at=timezone.now(),
            published=False,
            **fields,
        )
        ProjectTransition.objects.create(
            project=project,
            from_stage="",
            to_stage=Stage.PROPOSED,
            actor=actor,
            created_at=timezone.now(),
        )
        Follow.objects.get_or_create(project=project, user=actor)
        figures.added(Project, [project.pk])
    return project


# Fields fixed once money is allocated: the fund was chosen for this year and this request.
FIXED_WHEN_FUNDED = frozenset({"year", "budget_requested"})


def project_update(*, actor: Any, project: Project, data: Mapping[str, Any]) -> Project:
    _require(actor, Action.CHANGE, project)
    if project.stage in CLOSED_STAGES:
        raise IllegalTransition(_("项目已结束（已评估、未通过或已撤回），不能再修改。"))
    fields = _clean_project(data, project.org_unit)
    if project.stage in FUNDED_STAGES:
        changed = [k for k in FIXED_WHEN_FUNDED if k in fields and fields[k] != getattr(project, k)]
        if changed:
            raise ValidationError(
                {k: [_("项目已立项，年度和申请预算不能再修改。")] for k in changed}
            )
    with transaction.atomic(), acting_as(actor), figures.tracking(Project, [project.pk]):
        if "title" in fields and (
            Project.objects.filter(
                programme=project.programme, org_unit=project.org_unit, title=fields["title"]
            )
            .exclude(pk=project.pk)
            .exists()
        ):
            raise ValidationError({"title": [_("该居委会已有同名项目。")]})
        for key, value in fields.items():
            setattr(project, key, value)
        # Only the edited fields: a stage move saved meanwhile is not undone.
        project.save(update_fields=[*fields, "updated_at"])
    return project


def project_publish(*, actor: Any, project: Project, published: bool = True) -> Project:
    _require(actor, Action.CHANGE, project)
    with transaction.atomic(), acting_as(actor):
        project.published = published
        project.save(update_fields=["published", "updated_at"])
    return project


def _party_add(project: Project, kind: str, name: str, role: str = "") -> ProjectParty:
    if kind not in PartyKind.values:
        raise ValidationError({"kind": [_("参与方类型不正确。")]})
    if not name.strip():
        raise ValidationError({"name": [_("此项为必填项。")]})
    return ProjectParty.objects.create(
        project=project, kind=kind, name=name.strip()[:100], role=role.strip()[:200]
    )


def party_add(
    *, actor: Any, project: Project, kind: str, name: str, role: str = ""
) -> ProjectParty:
    _require(actor, Action.CHANGE, project)
    with transaction.atomic(), acting_as(actor):
        return _party_add(project, kind, name, role)


def _stage_label(value: str) -> str:
    return str(Stage(value).label) if value in Stage.values else value


def _check_can_enter(project: Project, to_stage: str, note: str) -> None:
    """The records a stage needs before the project may move into it."""
    if to_stage in REASON_REQUIRED and not note.strip():
        raise ValidationError({"note": [_("请填写说明（原因或评估结论）。")]})
    if to_stage == Stage.OPINION_SURVEY and not project.site_surveys.exists():
        raise IllegalTransition(_("请先记录至少一次现场踏勘。"))
    if (
        to_stage == Stage.EXPERT_REVIEW
        and not project.surveys.filter(status=SurveyStatus.CLOSED).exists()
    ):
        raise IllegalTransition(_("意见征询结束后才能进入专家评审。"))
    if to_stage == Stage.APPROVED:
        reviews = project.reviews.all()
        if not reviews.filter(submitted_at__isnull=False).exists():
            raise IllegalTransition(_("还没有专家提交评审意见，不能立项。"))
        if reviews.filter(submitted_at__isnull=True).exists():
            raise IllegalTransition(_("还有专家未提交评审意见，不能立项。"))
    if to_stage == Stage.IN_WORKS and not project.milestones.exists():
        raise IllegalTransition(_("请先制定工程节点，再开始实施。"))
    if (
        to_stage == Stage.COMPLETED
        and project.milestones.exclude(state=MilestoneState.DONE).exists()
    ):
        raise IllegalTransition(_("所有工程节点完成后才能完工。"))
    if to_stage == Stage.WITHDRAWN and project.spendings.exists():
        raise IllegalTransition(_("项目已有支出，不能撤回。"))


def project_transition(
    *,
    actor: Any,
    project: Project,
    to_stage: str,
    note: str = "",
    at: datetime | None = None,
    fund: Fund | None = None,
    amount: Any = None,
) -> Project:
    """Move a project along the stage map. Approving needs a fund and an amount; approving,
    rejecting and (after approval) withdrawing are the office's decisions."""
    _require(actor, Action.CHANGE, project)
    allowed = STAGE_TRANSITIONS.get(project.stage, frozenset())
    if to_stage not in allowed:
        raise IllegalTransition(
            _("项目当前阶段为“%(now)s”，不能改为“%(to)s”。")
            % {"now": _stage_label(project.stage), "to": _stage_label(to_stage)}
        )
    if to_stage in {Stage.APPROVED, Stage.REJECTED} or (
        to_stage == Stage.WITHDRAWN and project.stage == Stage.APPROVED
    ):
        _require_office(actor, project)
    _check_can_enter(project, to_stage, note)
    at = at or timezone.now()
    with transaction.atomic(), acting_as(actor), figures.tracking(Project, [project.pk]):
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.stage != project.stage:
            raise IllegalTransition(_("项目已被他人更新，请刷新后重试。"))
        fields = ["stage", "stage_changed_at", "updated_at"]
        if to_stage == Stage.APPROVED:
            if fund is None:
                raise ValidationError({"fund": [_("立项时请选择资金来源。")]})
            amount_d = _money(amount, "amount", positive=True)
            _allocate(project, fund, amount_d)
            project.fund = fund
            project.budget_allocated = amount_d
            project.approved_on = timezone.localdate(at)
            fields += ["fund", "budget_allocated", "approved_on"]
        if to_stage == Stage.COMPLETED:
            project.completed_on = timezone.localdate(at)
            fields.append("completed_on")
        if to_stage in REASON_REQUIRED:
            project.closing_reason = note.strip()
            fields.append("closing_reason")
        ProjectTransition.objects.create(
            project=project,
            from_stage=project.stage,
            to_stage=to_stage,
            actor=actor,
            note=note.strip()[:2000],
            created_at=at,
        )
        project.stage = to_stage
        project.stage_changed_at = at
        project.save(update_fields=fields)
        if to_stage in {Stage.REJECTED, Stage.WITHDRAWN}:
            # Residents are no longer asked about a project that will not go ahead.
            for survey in project.surveys.filter(status=SurveyStatus.OPEN):
                survey.status = SurveyStatus.CLOSED
                survey.closed_at = at
                survey.save(update_fields=["status", "closed_at", "updated_at"])
        followers = _followers_to_tell(locked, actor)
        if followers:
            transaction.on_commit(
                lambda: notification_send(
                    user_ids=followers,
                    key=f"livelihood-stage:{project.pk}:{to_stage}",
                    message=_("您关注的项目“%(title)s”进入“%(stage)s”阶段。")
                    % {"title": project.title, "stage": _stage_label(to_stage)},
                    url=f"/livelihood/public/projects/{project.pk}/",
                )
            )
    return project


def _followers_to_tell(project: Project, actor: Any) -> list[int]:
    """Followers who may still reach the project: all of them while it is published, else only
    those in its scope (a project taken off the public side tells no outsider of its moves)."""
    follows = project.follows.exclude(user=actor)
    if is_public(project):
        return list(follows.values_list("user_id", flat=True))
    return [f.user_id for f in follows.select_related("user") if may_reach(f.user, project)]


def _allocate(project: Project, fund: Fund, amount: Decimal) -> None:
    """Check, under a lock on the fund, that it can give `amount` to the project."""
    if fund.programme_id != project.programme_id:
        raise ValidationError({"fund": [_("资金来源与项目类别不一致。")]})
    if fund.year != project.year:
        raise ValidationError({"fund": [_("资金年度与项目年度不一致。")]})
    if not project.org_unit.path.startswith(fund.org_unit.path):
        raise ValidationError({"fund": [_("该资金不能用于这个居委会的项目。")]})
    locked = Fund.objects.select_for_update().get(pk=fund.pk)
    balance = locked.amount - fund_allocated(locked)
    if amount > balance:
        raise Overdraw(
            {
                "amount": [
                    _("资金余额不足：%(fund)s 余额 %(balance)s 元，本项目需 %(amount)s 元。")
                    % {"fund": str(locked), "balance": balance, "amount": amount}
                ]
            }
        )


def project_approve(
    *,
    actor: Any,
    project: Project,
    fund: Fund,
    amount: Any,
    note: str = "",
    at: datetime | None = None,
) -> Project:
    return project_transition(
        actor=actor,
        project=project,
        to_stage=Stage.APPROVED,
        note=note,
        at=at,
        fund=fund,
        amount=amount,
    )


def project_next_version(
    *,
    actor: Any,
    project: Project,
    title: str,
    year: int | None = None,
    description: str = "",
    proposed_on: date | None = None,
) -> Project:
    """Start the next version of a completed project ("望花园" → "望花园2.0"): same place,
    committee and parties, linked both ways (`previous` / `next_versions`)."""
    _require(actor, Action.CHANGE, project)
    if project.stage not in {Stage.COMPLETED, Stage.EVALUATED}:
        raise IllegalTransition(_("项目完工后才能开展下一版本。"))
    if project.next_versions.exists():
        raise IllegalTransition(_("该项目已有下一版本，请在最新版本上继续。"))
    data = {
        "title": title,
        "year": year or (proposed_on or timezone.localdate()).year,
        "description": description or project.description,
        "theme": project.theme,
        "place_kind": project.place_kind,
        "place_name": project.place_name,
        "address": project.address,
        "compound": project.compound,
        "longitude": project.longitude,
        "latitude": project.latitude,
        "proposer_kind": project.proposer_kind,
        "proposer_name": project.proposer_name,
    }
    with transaction.atomic(), acting_as(actor):
        new = project_create(
            actor=actor,
            programme=project.programme,
            org_unit=project.org_unit,
            data=data,
            proposed_on=proposed_on,
            parties=[(p.kind, p.name, p.role) for p in project.parties.all()],
        )
        new.previous = project
        new.version = project.version + 1
        new.save(update_fields=["previous", "version", "updated_at"])
    return new


def follow_set(*, actor: Any, project: Project, following: bool = True) -> bool:
    """Follow a project the user may reach (`policies.may_reach`: a published one, or one in
    their scope), or stop following any project."""
    if not getattr(actor, "is_authenticated", False):
        raise NotPermitted(Action.VIEW)
    if following and not may_reach(actor, project):
        raise NotPermitted(Action.VIEW)
    if following:
        Follow.objects.get_or_create(project=project, user=actor)
    else:
        Follow.objects.filter(project=project, user=actor).delete()
    return following


# --- site surveys --------------------------------------------------------------------------
def site_survey_record(
    *,
    actor: Any,
    project: Project,
    day: date,
    findings: str,
    leaders: str = "",
    staff: str = "",
    residents: str = "",
) -> SiteSurvey:
    _require(actor, Action.CHANGE, project)
    if not findings.strip():
        raise ValidationError({"findings": [_("请填写踏勘情况。")]})
    if day > timezone.localdate():
        raise ValidationError({"date": [_("踏勘日期不能晚于今天。")]})
    with transaction.atomic(), acting_as(actor):
        return SiteSurvey.objects.create(
            project=project,
            date=day,
            findings=findings.strip(),
            leaders=leaders[:200],
            staff=staff[:200],
            residents=residents[:200],
            recorded_by=actor,
        )


# --- opinion surveys -----------------------------------------------------------------------
def _clean_question(q: Mapping[str, Any]) -> dict[str, Any]:
    kind = q.get("kind")
    text = str(q.get("text") or "").strip()
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": [_("题型不正确。")]})
    if not text:
        raise ValidationError({"text": [_("请填写题目。")]})
    choices = [str(c).strip() for c in (q.get("choices") or []) if str(c).strip()]
    out: dict[str, Any] = {
        "kind": kind,
        "text": text[:300],
        "required": bool(q.get("required", True)),
        "choices": [],
        "scale_min": 1,
        "scale_max": 5,
    }
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(choices) < 2 or len(set(choices)) != len(choices):
            raise ValidationError({"choices": [_("选择题至少需要两个不重复的选项。")]})
        out["choices"] = choices
    if kind == QuestionKind.SCALE:
        try:
            low, high = int(q.get("scale_min", 1)), int(q.get("scale_max", 5))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"scale_max": [_("分值范围不正确。")]}) from exc
        if not 0 <= low < high <= 10:
            raise ValidationError({"scale_max": [_("分值范围不正确。")]})
        out["scale_min"], out["scale_max"] = low, high
    return out


# Residents are consulted before the experts review the plan, never on a decided project.
SURVEY_STAGES = frozenset({Stage.PROPOSED, Stage.SITE_SURVEY, Stage.OPINION_SURVEY})


def _require_survey_stage(project: Project) -> None:
    if project.stage not in SURVEY_STAGES:
        raise IllegalTransition(_("只有提议、现场踏勘或意见征询阶段的项目可以发起意见征询。"))


def survey_create(
    *,
    actor: Any,
    project: Project,
    title: str,
    intro: str = "",
    closes_on: date | None = None,
    questions: Iterable[Mapping[str, Any]] = (),
) -> Survey:
    _require(actor, Action.CHANGE, project)
    _require_survey_stage(project)
    if not title.strip():
        raise ValidationError({"title": [_("请填写标题。")]})
    cleaned = [_clean_question(q) for q in questions]
    with transaction.atomic(), acting_as(actor):
        survey = Survey.objects.create(
            project=project,
            title=title.strip()[:200],
            intro=intro,
            closes_on=closes_on,
            created_by=actor,
        )
        for i, q in enumerate(cleaned, start=1):
            Question.objects.create(survey=survey, order=i, **q)
    return survey


def question_add(*, actor: Any, survey: Survey, question: Mapping[str, Any]) -> Question:
    _require(actor, Action.CHANGE, survey.project)
    if survey.status != SurveyStatus.DRAFT:
        raise IllegalTransition(_("征询已开始，题目不能再修改。"))
    q = _clean_question(question)
    with transaction.atomic(), acting_as(actor):
        order = survey.questions.order_by("-order").values_list("order", flat=True).first() or 0
        return Question.objects.create(survey=survey, order=order + 1, **q)


def question_delete(*, actor: Any, question: Question) -> None:
    survey = question.survey
    _require(actor, Action.CHANGE, survey.project)
    if survey.status != SurveyStatus.DRAFT:
        raise IllegalTransition(_("征询已开始，题目不能再修改。"))
    with transaction.atomic(), acting_as(actor):
        question.delete()


def survey_open(*, actor: Any, survey: Survey, at: datetime | None = None) -> Survey:
    _require(actor, Action.CHANGE, survey.project)
    _require_survey_stage(survey.project)
    if survey.status != SurveyStatus.DRAFT:
        raise IllegalTransition(_("只有草稿状态的征询可以开始。"))
    if not survey.questions.exists():
        raise ValidationError(_("请先添加题目。"))
    with transaction.atomic(), acting_as(actor):
        updated = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.DRAFT).update(
            status=SurveyStatus.OPEN, opened_at=at or timezone.now(), updated_at=timezone.now()
        )
        if not updated:
            raise IllegalTransition(_("征询已被他人更新，请刷新后重试。"))
    survey.refresh_from_db()
    return survey


def survey_close(*, actor: Any, survey: Survey, at: datetime | None = None) -> Survey:
    """Close the survey: from now on its results are shown (they are sealed until then)."""
    _require(actor, Action.CHANGE, survey.project)
    with transaction.atomic(), acting_as(actor):
        updated = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.OPEN).update(
            status=SurveyStatus.CLOSED, closed_at=at or timezone.now(), updated_at=timezone.now()
        )
        if not updated:
            raise IllegalTransition(_("只有征询中的问卷可以结束。"))
    survey.refresh_from_db()
    return survey


def _clean_answers(survey: Survey, answers: Mapping[Any, Any]) -> list[dict[str, Any]]:
    """`answers` maps question id (int or str) → value: a choice, a list of choices, a number or
    a text. Returns the rows to save; raises with the question's text on any mistake."""
    given = {str(k): v for k, v in answers.items()}
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for q in survey.questions.all():
        value = given.get(str(q.pk))
        empty = value in (None, "", [])
        if empty:
            if q.required:
                errors[f"q{q.pk}"] = [_("“%(q)s”为必答题。") % {"q": q.text}]
            continue
        row: dict[str, Any] = {"question": q}
        if q.kind == QuestionKind.SINGLE:
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else None
            if value not in q.choices:
                errors[f"q{q.pk}"] = [_("“%(q)s”的选项不正确。") % {"q": q.text}]
                continue
            row["choices"] = [value]
        elif q.kind == QuestionKind.MULTIPLE:
            values = value if isinstance(value, list) else [value]
            if not values or any(v not in q.choices for v in values):
                errors[f"q{q.pk}"] = [_("“%(q)s”的选项不正确。") % {"q": q.text}]
                continue
            row["choices"] = sorted(set(values), key=q.choices.index)
        elif q.kind == QuestionKind.SCALE:
            try:
                number = int(str(value))
            except (TypeError, ValueError):
                number = q.scale_min - 1
            if not q.scale_min <= number <= q.scale_max:
                errors[f"q{q.pk}"] = [
                    _("“%(q)s”请打 %(low)s–%(high)s 分。")
                    % {"q": q.text, "low": q.scale_min, "high": q.scale_max}
                ]
                continue
            row["number"] = number
        else:
            if not isinstance(value, str):
                errors[f"q{q.pk}"] = [_("“%(q)s”请填写文字。") % {"q": q.text}]
                continue
            row["text"] = value.strip()[:2000]
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return rows


def _save_response(survey: Survey, rows: list[dict[str, Any]], **fields: Any) -> Response:
    response = Response.objects.create(survey=survey, created_at=timezone.now(), **fields)
    ResponseAnswer.objects.bulk_create([ResponseAnswer(response=response, **r) for r in rows])
    return response


def response_submit_online(*, actor: Any, survey: Survey, answers: Mapping[Any, Any]) -> Response:
    """A resident answers an open survey of their own committee, once."""
    if not policy.has_role(actor, {Role.RESIDENT}):
        raise NotPermitted(Action.ADD)
    person = resident_person(actor)
    # The survey of a project of the resident's committee (or of the subdistrict above it).
    if person is None or not person.org_unit.path.startswith(survey.project.org_unit.path):
        raise NotPermitted(Action.ADD)
    if survey.status != SurveyStatus.OPEN:
        raise IllegalTransition(_("该征询未开始或已结束，不能再提交。"))
    rows = _clean_answers(survey, answers)
    try:
        with transaction.atomic(), acting_as(actor):
            return _save_response(survey, rows, channel=ResponseChannel.ONLINE, respondent=actor)
    except IntegrityError as exc:
        raise ValidationError(
            _("您已经提交过这份征询，每位居民只能提交一次。"), code="duplicate"
        ) from exc


def response_enter_paper(
    *, actor: Any, survey: Survey, answers: Mapping[Any, Any], collection_point: str
) -> Response:
    """Committee staff type in a paper form, recording where it was collected."""
    _require(actor, Action.CHANGE, survey.project)
    if survey.status != SurveyStatus.OPEN:
        raise IllegalTransition(_("该征询未开始或已结束，不能再录入。"))
    if not collection_point.strip():
        raise ValidationError({"collection_point": [_("请填写纸质问卷的收集点。")]})
    rows = _clean_answers(survey, answers)
    with transaction.atomic(), acting_as(actor):
        return _save_response(
            survey,
            rows,
            channel=ResponseChannel.PAPER,
            entered_by=actor,
            collection_point=collection_point.strip()[:100],
        )


def answer_publish(*, actor: Any, answer: ResponseAnswer, published: bool = True) -> ResponseAnswer:
    """Staff let a free-text answer reach the public page (or take it back)."""
    _require(actor, Action.CHANGE, answer.response.survey.project)
    if answer.question.kind != QuestionKind.TEXT:
        raise ValidationError(_("只有文字意见需要公开审核。"))
    if answer.response.survey.status != SurveyStatus.CLOSED:
        raise IllegalTransition(_("征询结束后才能公开文字意见。"))
    with transaction.atomic(), acting_as(actor):
        answer.published = published
        answer.save(update_fields=["published"])
    return answer


# --- expert review -------------------------------------------------------------------------
def review_assign(
    *, actor: Any, project: Project, expert: Any, due_on: date | None = None
) -> ReviewAssignment:
    _require_office(actor, project)
    if project.stage not in {Stage.OPINION_SURVEY, Stage.EXPERT_REVIEW}:
        raise IllegalTransition(_("只能在意见征询或专家评审阶段邀请专家。"))
    # An expert of this subdistrict (or of a unit above it), not of another one.
    home = project.programme.org_unit.path
    if not any(
        role == Role.EXPERT and home.startswith(path) for role, path in policy.memberships(expert)
    ):
        raise ValidationError({"expert": [_("该用户不是本街道的评审专家。")]})
    with transaction.atomic(), acting_as(actor):
        assignment, created = ReviewAssignment.objects.get_or_create(
            project=project, expert=expert, defaults={"assigned_by": actor, "due_on": due_on}
        )
        if not created:
            raise ValidationError({"expert": [_("已邀请该专家评审此项目。")]})
    notification_send(
        user_ids=[expert.pk],
        key=f"livelihood-review:{assignment.pk}",
        message=_("请评审项目“%(title)s”。") % {"title": project.title},
        url=f"/livelihood/reviews/{assignment.pk}/",
    )
    return assignment


def review_submit(
    *,
    actor: Any,
    assignment: ReviewAssignment,
    scores: Mapping[Any, Any],
    feasibility: str,
    cost_estimate: Any,
    reasons: str,
    at: datetime | None = None,
) -> ReviewAssignment:
    """The assigned expert scores every criterion and gives feasibility, cost and reasons. They
    may change it until the project leaves expert review."""
    if assignment.expert_id != getattr(actor, "pk", None):
        raise NotPermitted(Action.CHANGE)
    project = assignment.project
    if project.stage != Stage.EXPERT_REVIEW:
        raise IllegalTransition(_("项目不在专家评审阶段，评审意见不能再提交或修改。"))
    errors: dict[str, list[str]] = {}
    criteria = list(ReviewCriterion.objects.filter(programme_id=project.programme_id))
    given = {str(k): v for k, v in scores.items()}
    cleaned: dict[int, Decimal] = {}
    for c in criteria:
        try:
            value = Decimal(str(given.get(str(c.pk), ""))).quantize(Decimal("0.1"))
            if not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"c{c.pk}"] = [_("请为“%(c)s”打分。") % {"c": c.name}]
            continue
        if not 0 <= value <= c.max_score:
            errors[f"c{c.pk}"] = [
                _("“%(c)s”的分数应在 0–%(max)s 之间。") % {"c": c.name, "max": c.max_score}
            ]
            continue
        cleaned[c.pk] = value
    if feasibility not in Feasibility.values:
        errors["feasibility"] = [_("请选择可行性结论。")]
    try:
        cost = _money(cost_estimate, "cost_estimate")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cost = Decimal("0")
    if not reasons.strip():
        errors["reasons"] = [_("请写明评审理由。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_as(actor):
        ReviewScore.objects.filter(assignment=assignment).delete()
        ReviewScore.objects.bulk_create(
            [
                ReviewScore(assignment=assignment, criterion_id=k, score=v)
                for k, v in cleaned.items()
            ]
        )
        assignment.feasibility = feasibility
        assignment.cost_estimate = cost
        assignment.reasons = reasons.strip()
        assignment.submitted_at = at or timezone.now()
        assignment.save(
            update_fields=["feasibility", "cost_estimate", "reasons", "submitted_at", "updated_at"]
        )
    return assignment


# --- works ---------------------------------------------------------------------------------
def milestone_add(
    *,
    actor: Any,
    project: Project,
    title: str,
    planned_on: date | None = None,
    weight: int = 1,
) -> Milestone:
    _require(actor, Action.CHANGE, project)
    if project.stage not in {Stage.APPROVED, Stage.IN_WORKS}:
        raise IllegalTransition(_("立项后、完工前才能安排工程节点。"))
    if not title.strip():
        raise ValidationError({"title": [_("请填写节点名称。")]})
    try:
        weight = int(weight)
    except (TypeError, ValueError):
        weight = 0
    if weight < 1:
        raise ValidationError({"weight": [_("进度权重至少为 1。")]})
    with transaction.atomic(), acting_as(actor):
        order = project.milestones.order_by("-order").values_list("order", flat=True).first() or 0
        return Milestone.objects.create(
            project=project,
            order=order + 1,
            title=title.strip()[:100],
            planned_on=planned_on,
            weight=int(weight),
        )


def milestone_set_state(
    *, actor: Any, milestone: Milestone, state: str, done_on: date | None = None
) -> Milestone:
    _require(actor, Action.CHANGE, milestone.project)
    if state not in MilestoneState.values:
        raise ValidationError({"state": [_("状态不正确。")]})
    if milestone.project.stage not in {Stage.APPROVED, Stage.IN_WORKS}:
        raise IllegalTransition(_("项目已完工或未立项，节点不能再修改。"))
    with transaction.atomic(), acting_as(actor):
        milestone.state = state
        milestone.done_on = (
            (done_on or timezone.localdate()) if state == MilestoneState.DONE else None
        )
        milestone.save(update_fields=["state", "done_on", "updated_at"])
    return milestone


def spending_record(
    *,
    actor: Any,
    project: Project,
    day: date,
    amount: Any,
    description: str,
    payee: str = "",
) -> Spending:
    """Record money spent; the project's spending may not exceed its allocation."""
    _require_office(actor, project)
    if project.stage not in FUNDED_STAGES:
        raise IllegalTransition(_("项目立项后才能记录支出。"))
    amount_d = _money(amount, "amount", positive=True)
    if not description.strip():
        raise ValidationError({"description": [_("请填写用途。")]})
    with transaction.atomic(), acting_as(actor):
        locked = Project.objects.select_for_update().get(pk=project.pk)
        spent = (locked.spendings.aggregate(s=Sum("amount"))["s"] or Decimal("0")).quantize(CENT)
        allocated = locked.budget_allocated or Decimal("0")
        if spent + amount_d > allocated:
            raise Overdraw(
                {
                    "amount": [
                        _("超出核定预算：已支出 %(spent)s 元，核定 %(allocated)s 元。")
                        % {"spent": spent, "allocated": allocated}
                    ]
                }
            )
        return Spending.objects.create(
            project=project,
            date=day,
            amount=amount_d,
            description=description.strip()[:200],
            payee=payee.strip()[:100],
            recorded_by=actor,
        )


# --- photos --------------------------------------------------------------------------------
def photo_upload(
    *,
    actor: Any,
    project: Project,
    data: bytes,
    name: str,
    kind: str,
    spot: str = "",
    caption: str = "",
    taken_on: date | None = None,
    before: Photo | None = None,
    site_survey: SiteSurvey | None = None,
) -> Photo:
    """Check the upload by its content, keep the original, store the page copies without any
    metadata. An "after" photo must name the "before" photo of the same spot."""
    _require(actor, Action.CHANGE, project)
    if kind not in PhotoKind.values:
        raise ValidationError({"kind": [_("照片类型不正确。")]})
    if kind == PhotoKind.AFTER:
        if before is None or before.project_id != project.pk or before.kind != PhotoKind.BEFORE:
            raise ValidationError({"before": [_("改造后照片须对应本项目的一张改造前照片。")]})
        if Photo.objects.filter(before=before).exists():
            raise ValidationError({"before": [_("这张改造前照片已有对应的改造后照片。")]})
        spot = spot or before.spot
    elif before is not None:
        raise ValidationError({"before": [_("只有改造后照片需要对应改造前照片。")]})
    if site_survey is not None and site_survey.project_id != project.pk:
        raise ValidationError({"site_survey": [_("踏勘记录不属于本项目。")]})
    prepared = photo_lib.prepare(data)
    try:
        with transaction.atomic(), acting_as(actor):
            return Photo.objects.create(
                project=project,
                kind=kind,
                before=before,
                site_survey=site_survey,
                spot=spot.strip()[:100],
                caption=caption.strip()[:200],
                taken_on=taken_on,
                original=prepared.original,
                original_name=(name or "photo")[:200],
                original_format=prepared.original_format,
                original_had_location=prepared.had_location,
                display=prepared.display,
                thumb=prepared.thumb,
                width=prepared.width,
                height=prepared.height,
                sha256=prepared.sha256,
                uploaded_by=actor,
            )
    except IntegrityError as exc:  # another upload paired the same before-photo meanwhile
        raise ValidationError({"before": [_("这张改造前照片已有对应的改造后照片。")]}) from exc
