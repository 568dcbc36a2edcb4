"""Livelihood projects (民生项目): Beautiful Blocks (美丽街区) and the self-governance fund (自治金).

A project goes proposed → site survey → opinion survey → expert review → approved → in works
→ completed → evaluated (`STAGE_TRANSITIONS`); each move is a `ProjectTransition`. Budgets are
`Fund`s per programme, year and org unit; a fund's balance is computed from the allocations
of the projects approved from it, never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Compound, OrgUnit, TimeStampedModel


class ProgrammeKind(models.TextChoices):
    BEAUTIFUL_BLOCK = "beautiful_block", _("美丽街区")
    SELF_GOVERNANCE = "self_governance", _("自治金")


class Programme(TimeStampedModel):
    """A subdistrict's programme: its Beautiful Blocks, or its self-governance fund ("添睦")."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=ProgrammeKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    brand = models.CharField(_("品牌"), max_length=50, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["org_unit_id", "kind"]
        verbose_name = _("民生项目类别")
        verbose_name_plural = _("民生项目类别")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "kind"], name="uniq_programme_org_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.brand}）" if self.brand else str(self.name)


class ReviewCriterion(TimeStampedModel):
    """One line of a programme's expert-review score sheet, e.g. 设计方案 (weight 30, 0–10)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("类别")
    )
    name = models.CharField(_("评审要点"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    max_score = models.PositiveSmallIntegerField(_("满分"), default=10)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["programme_id", "order", "id"]
        verbose_name = _("评审要点")
        verbose_name_plural = _("评审要点")
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="uniq_criterion_name")
        ]

    def __str__(self) -> str:
        return self.name


class Fund(TimeStampedModel):
    """A programme's budget for one year held by one org unit (a committee or the subdistrict)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="funds", verbose_name=_("类别")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("资金归属"), related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("预算金额 (元)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "programme_id", "org_unit_id"]
        verbose_name = _("项目资金")
        verbose_name_plural = _("项目资金")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "org_unit", "year"], name="uniq_fund_programme_org_year"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fund_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} {self.year} · {self.org_unit.name}"


class Stage(models.TextChoices):
    PROPOSED = "proposed", _("提议")
    SITE_SURVEY = "site_survey", _("现场踏勘")
    OPINION_SURVEY = "opinion_survey", _("意见征询")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    APPROVED = "approved", _("立项")
    IN_WORKS = "in_works", _("实施中")
    COMPLETED = "completed", _("已完工")
    EVALUATED = "evaluated", _("已评估")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


STAGE_ORDER = [
    Stage.PROPOSED,
    Stage.SITE_SURVEY,
    Stage.OPINION_SURVEY,
    Stage.EXPERT_REVIEW,
    Stage.APPROVED,
    Stage.IN_WORKS,
    Stage.COMPLETED,
    Stage.EVALUATED,
]
_BEFORE_APPROVAL = [Stage.PROPOSED, Stage.SITE_SURVEY, Stage.OPINION_SURVEY, Stage.EXPERT_REVIEW]
STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.PROPOSED: frozenset({Stage.SITE_SURVEY, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.SITE_SURVEY: frozenset({Stage.OPINION_SURVEY, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.OPINION_SURVEY: frozenset({Stage.EXPERT_REVIEW, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.EXPERT_REVIEW: frozenset({Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.APPROVED: frozenset({Stage.IN_WORKS, Stage.WITHDRAWN}),
    Stage.IN_WORKS: frozenset({Stage.COMPLETED}),
    Stage.COMPLETED: frozenset({Stage.EVALUATED}),
    Stage.EVALUATED: frozenset(),
    Stage.REJECTED: frozenset(),
    Stage.WITHDRAWN: frozenset(),
}
# Stages in which a project holds money from its fund.
FUNDED_STAGES = frozenset({Stage.APPROVED, Stage.IN_WORKS, Stage.COMPLETED, Stage.EVALUATED})
CLOSED_STAGES = frozenset({Stage.EVALUATED, Stage.REJECTED, Stage.WITHDRAWN})
# Moves that need a written reason.
REASON_REQUIRED = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.EVALUATED})
DONE_STAGES = frozenset({Stage.COMPLETED, Stage.EVALUATED})


class PlaceKind(models.TextChoices):
    COMPOUND = "compound", _("小区内")
    STREET_CORNER = "street_corner", _("街角")
    BUILDING_WALL = "building_wall", _("建筑墙面")
    STREET = "street", _("道路沿线")
    OTHER = "other", _("其他")


class ProposerKind(models.TextChoices):
    RESIDENT = "resident", _("居民")
    COMMITTEE = "committee", _("居委会")
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    PROPERTY_COMPANY = "property_company", _("物业公司")
    DEPARTMENT = "department", _("街道部门")


class Project(TimeStampedModel):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="projects", verbose_name=_("类别")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("居委会"), related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("项目名称"), max_length=100)
    theme = models.CharField(_("主题"), max_length=100, blank=True)
    description = models.TextField(_("项目说明"), blank=True)
    place_kind = models.CharField(
        _("地点类型"), max_length=20, choices=PlaceKind.choices, default=PlaceKind.COMPOUND
    )
    place_name = models.CharField(_("地点"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="livelihood_projects",
        verbose_name=_("小区"),
    )
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    proposer_kind = models.CharField(
        _("提议方"), max_length=20, choices=ProposerKind.choices, default=ProposerKind.COMMITTEE
    )
    proposer_name = models.CharField(_("提议方名称"), max_length=100, blank=True)
    # The resident account that proposed it online, if any (its own record).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提议人账号"),
    )
    budget_requested = models.DecimalField(
        _("申请预算 (元)"), max_digits=12, decimal_places=2, default=0
    )
    fund = models.ForeignKey(
        Fund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("资金来源"),
    )
    budget_allocated = models.DecimalField(
        _("核定预算 (元)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    stage = models.CharField(
        _("阶段"), max_length=20, choices=Stage.choices, default=Stage.PROPOSED
    )
    stage_changed_at = models.DateTimeField(_("阶段变更时间"), null=True, blank=True)
    proposed_on = models.DateField(_("提议日期"))
    approved_on = models.DateField(_("立项日期"), null=True, blank=True)
    completed_on = models.DateField(_("完工日期"), null=True, blank=True)
    closing_reason = models.TextField(_("终止/评估说明"), blank=True)
    # Shown on the public pages only once staff publish it.
    published = models.BooleanField(_("已公开"), default=False)
    # The version before this one ("望花园" → "望花园2.0").
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_versions",
        verbose_name=_("上一版本"),
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ["-year", "-proposed_on", "-id"]
        verbose_name = _("民生项目")
        verbose_name_plural = _("民生项目")
        indexes = [
            models.Index(fields=["programme", "stage"], name="lh_project_prog_stage"),
            models.Index(fields=["year"], name="lh_project_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "org_unit", "title"], name="uniq_project_title"
            ),
            models.CheckConstraint(
                condition=models.Q(budget_requested__gte=0), name="project_budget_requested_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PartyKind(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    PROPERTY_COMPANY = "property_company", _("物业公司")
    GROUP_LEADER = "group_leader", _("楼组长")
    VOLUNTEER = "volunteer", _("志愿者")
    DEPARTMENT = "department", _("职能部门")
    PARTY_BRANCH = "party_branch", _("党支部")
    COMMITTEE = "committee", _("居委会")
    DESIGNER = "designer", _("设计单位")


# Parties that are people rather than organisations: outside staff pages they are shown by
# kind and count only, never by name.
PERSON_PARTIES = frozenset({PartyKind.GROUP_LEADER, PartyKind.VOLUNTEER})


class ProjectParty(TimeStampedModel):
    """A party taking part in the project (共商共议): a group, not a person's personal data."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="parties", verbose_name=_("项目")
    )
    kind = models.CharField(_("参与方类型"), max_length=20, choices=PartyKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    role = models.CharField(_("承担工作"), max_length=200, blank=True)

    class Meta:
        ordering = ["project_id", "kind", "id"]
        verbose_name = _("参与方")
        verbose_name_plural = _("参与方")

    def __str__(self) -> str:
        return self.name


class ProjectTransition(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(_("原阶段"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["project_id", "created_at", "id"]
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} → {self.to_stage}"


class Follow(models.Model):
    """A resident (or anyone signed in) follows a project and hears of its stage changes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="livelihood_follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="uniq_follow_project_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.project_id}"


class SiteSurvey(TimeStampedModel):
    """A site visit (现场踏勘): who went and what they found."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="site_surveys", verbose_name=_("项目")
    )
    date = models.DateField(_("踏勘日期"))
    leaders = models.CharField(_("带队领导"), max_length=200, blank=True)
    staff = models.CharField(_("工作人员"), max_length=200, blank=True)
    residents = models.CharField(_("居民代表"), max_length=200, blank=True)
    findings = models.TextField(_("踏勘情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["project_id", "date", "id"]
        verbose_name = _("现场踏勘")
        verbose_name_plural = _("现场踏勘")

    def __str__(self) -> str:
        return f"{self.project} · {self.date}"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("征询中")
    CLOSED = "closed", _("已结束")


class Survey(TimeStampedModel):
    """An opinion survey (群众意见征询). Its results stay sealed until it is closed."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("项目")
    )
    title = models.CharField(_("标题"), max_length=200)
    intro = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_on = models.DateField(_("计划截止日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["project_id", "id"]
        verbose_name = _("意见征询")
        verbose_name_plural = _("意见征询")

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    SCALE = "scale", _("打分")
    TEXT = "text", _("文字意见")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=300)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    scale_min = models.SmallIntegerField(_("最低分"), default=1)
    scale_max = models.SmallIntegerField(_("最高分"), default=5)
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["survey_id", "order", "id"]
        verbose_name = _("题目")
        verbose_name_plural = _("题目")

    def __str__(self) -> str:
        return self.text


class ResponseChannel(models.TextChoices):
    ONLINE = "online", _("线上")
    PAPER = "paper", _("纸质")


class Response(models.Model):
    """One resident's answers: online from their account (one each), or a paper form typed in."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    channel = models.CharField(_("渠道"), max_length=10, choices=ResponseChannel.choices)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="livelihood_responses",
    )
    collection_point = models.CharField(_("收集点"), max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"))

    class Meta:
        ordering = ["survey_id", "created_at", "id"]
        verbose_name = _("征询答卷")
        verbose_name_plural = _("征询答卷")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent"],
                condition=models.Q(respondent__isnull=False),
                name="uniq_response_survey_respondent",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(channel="online", respondent__isnull=False)
                    | models.Q(channel="paper", respondent__isnull=True)
                ),
                name="response_channel_matches_respondent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} #{self.pk} ({self.channel})"


class ResponseAnswer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # single: [choice]; multiple: [choices…]; scale: number; text: text.
    choices = models.JSONField(default=list, blank=True)
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    # Free text reaches the public page only after a staff member publishes it.
    published = models.BooleanField(_("已公开"), default=False)

    class Meta:
        ordering = ["response_id", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="uniq_answer_response_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class Feasibility(models.TextChoices):
    FEASIBLE = "feasible", _("可行")
    WITH_CHANGES = "with_changes", _("修改后可行")
    NOT_FEASIBLE = "not_feasible", _("不可行")


class ReviewAssignment(TimeStampedModel):
    """An expert asked by the office to review one project's plan (专家方案评审)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("项目")
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="livelihood_reviews",
        verbose_name=_("专家"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(_("评审截止"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    feasibility = models.CharField(
        _("可行性"), max_length=20, choices=Feasibility.choices, blank=True
    )
    cost_estimate = models.DecimalField(
        _("造价估算 (元)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reasons = models.TextField(_("评审意见"), blank=True)

    class Meta:
        ordering = ["project_id", "id"]
        verbose_name = _("专家评审")
        verbose_name_plural = _("专家评审")
        constraints = [
            models.UniqueConstraint(fields=["project", "expert"], name="uniq_review_project_expert")
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.expert}"


class ReviewScore(models.Model):
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(ReviewCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["assignment_id", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="uniq_score_assignment_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


class MilestoneState(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    DONE = "done", _("已完成")


class Milestone(TimeStampedModel):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目")
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    title = models.CharField(_("节点"), max_length=100)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    weight = models.PositiveSmallIntegerField(_("进度权重"), default=1)
    state = models.CharField(
        _("状态"), max_length=12, choices=MilestoneState.choices, default=MilestoneState.PLANNED
    )

    class Meta:
        ordering = ["project_id", "order", "id"]
        verbose_name = _("工程节点")
        verbose_name_plural = _("工程节点")
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="milestone_weight_gte_1")
        ]

    def __str__(self) -> str:
        return self.title


class Spending(TimeStampedModel):
    """Money spent on an approved project, drawn from its allocation."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="spendings", verbose_name=_("项目")
    )
    date = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额 (元)"), max_digits=12, decimal_places=2)
    payee = models.CharField(_("收款方"), max_length=100, blank=True)
    description = models.CharField(_("用途"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["project_id", "date", "id"]
        verbose_name = _("支出")
        verbose_name_plural = _("支出")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="spending_amount_gt_0")
        ]


class PhotoKind(models.TextChoices):
    SITE = "site", _("踏勘照片")
    BEFORE = "before", _("改造前")
    AFTER = "after", _("改造后")
    OTHER = "other", _("其他")


class Photo(TimeStampedModel):
    """An uploaded picture. The original bytes are kept as uploaded (staff only); the page shows
    a re-encoded, resized copy with no metadata at all (`display`, `thumb`)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="photos", verbose_name=_("项目")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices)
    site_survey = models.ForeignKey(
        SiteSurvey, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    # An "after" picture names the "before" picture of the same spot.
    before = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="after",
        verbose_name=_("对应的改造前照片"),
    )
    spot = models.CharField(_("拍摄位置"), max_length=100, blank=True)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    taken_on = models.DateField(_("拍摄日期"), null=True, blank=True)
    original = models.BinaryField(editable=False)
    original_name = models.CharField(_("原文件名"), max_length=200)
    original_format = models.CharField(max_length=10)
    original_had_location = models.BooleanField(default=False)
    display = models.BinaryField(editable=False)
    thumb = models.BinaryField(editable=False)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["project_id", "kind", "id"]
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(before__isnull=True) | models.Q(kind="after"),
                name="photo_before_only_on_after",
            )
        ]

    def __str__(self) -> str:
        return self.caption or self.original_name
