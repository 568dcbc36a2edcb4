"""Business environment (营商环境): building and enterprise profiles, vacancies and viewings,
building affairs councils, leader liaison, enterprise requests and the policy library."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Enterprise, OfficeBuilding, OrgUnit, TimeStampedModel


class BuildingGrade(models.TextChoices):
    GRADE_A = "A", _("甲级")
    GRADE_B = "B", _("乙级")
    GRADE_C = "C", _("丙级")
    OTHER = "", _("未评级")


class BuildingProfile(TimeStampedModel):
    """What the business office knows about an office building beyond its place."""

    building = models.OneToOneField(
        OfficeBuilding, on_delete=models.CASCADE, related_name="profile", verbose_name=_("楼宇")
    )
    grade = models.CharField(_("等级"), max_length=2, choices=BuildingGrade.choices, blank=True)
    owner = models.CharField(_("产权方/运营方"), max_length=200, blank=True)
    property_manager = models.CharField(_("物业公司"), max_length=200, blank=True)
    occupancy = models.DecimalField(
        _("入驻率 (%)"), max_digits=5, decimal_places=1, default=Decimal("0.0")
    )
    party_committee = models.CharField(_("楼宇党委"), max_length=200, blank=True)
    service_station = models.CharField(_("党群服务站"), max_length=200, blank=True)
    is_key = models.BooleanField(_("重点楼宇"), default=False)

    class Meta:
        ordering = ["building__name"]
        verbose_name = _("楼宇档案")
        verbose_name_plural = _("楼宇档案")

    def __str__(self) -> str:
        return str(self.building)


class EnterpriseProfile(TimeStampedModel):
    enterprise = models.OneToOneField(
        Enterprise, on_delete=models.CASCADE, related_name="profile", verbose_name=_("企业")
    )
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    registered_here = models.BooleanField(_("注册在本街道"), default=True)
    operating_here = models.BooleanField(_("实际在本街道经营"), default=True)
    white_collar_count = models.PositiveIntegerField(_("白领人数"), default=0)
    is_key = models.BooleanField(_("重点企业"), default=False)
    moved_in = models.DateField(_("入驻日期"), null=True, blank=True)
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        ordering = ["enterprise__name"]
        verbose_name = _("企业档案")
        verbose_name_plural = _("企业档案")

    def __str__(self) -> str:
        return str(self.enterprise)


class VacancyStatus(models.TextChoices):
    OPEN = "open", _("可租")
    LET = "let", _("已出租")
    WITHDRAWN = "withdrawn", _("已撤回")


class Vacancy(TimeStampedModel):
    """Vacant office space (空置房源)."""

    building = models.ForeignKey(
        OfficeBuilding, on_delete=models.CASCADE, related_name="vacancies", verbose_name=_("楼宇")
    )
    floor = models.SmallIntegerField(_("楼层"))
    area = models.DecimalField(_("面积 (m²)"), max_digits=9, decimal_places=1)
    rent_min = models.DecimalField(_("租金下限 (元/m²·天)"), max_digits=6, decimal_places=2)
    rent_max = models.DecimalField(_("租金上限 (元/m²·天)"), max_digits=6, decimal_places=2)
    available_from = models.DateField(_("可入驻日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=VacancyStatus.choices, default=VacancyStatus.OPEN
    )

    class Meta:
        ordering = ["building__name", "floor", "id"]
        verbose_name = _("空置房源")
        verbose_name_plural = _("空置房源")

    def __str__(self) -> str:
        return f"{self.building} {self.floor}F {self.area}m²"


class ViewingOutcome(models.TextChoices):
    BOOKED = "booked", _("已预约")
    MOVED_IN = "moved_in", _("已入驻")
    DECLINED = "declined", _("未入驻")
    CANCELLED = "cancelled", _("已取消")


class Viewing(TimeStampedModel):
    """An office-space viewing (办公场地带看) and whether the enterprise moved in."""

    vacancy = models.ForeignKey(
        Vacancy, on_delete=models.PROTECT, related_name="viewings", verbose_name=_("房源")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("企业"),
        related_name="viewings",
    )
    prospect_name = models.CharField(_("意向企业名称"), max_length=200, blank=True)
    date = models.DateField(_("带看日期"))
    guide = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("带看人"),
        related_name="+",
    )
    outcome = models.CharField(
        _("结果"), max_length=12, choices=ViewingOutcome.choices, default=ViewingOutcome.BOOKED
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)
    request = models.ForeignKey(
        "EnterpriseRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="viewings",
        verbose_name=_("诉求"),
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("带看")
        verbose_name_plural = _("带看")

    def __str__(self) -> str:
        return f"{self.vacancy} {self.date}"


class Council(TimeStampedModel):
    """A building affairs council (楼务会) of the "和矩阵" brand: one platform, 1+1+N."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    name = models.CharField(_("名称"), max_length=100)
    brand = models.CharField(_("品牌"), max_length=50, blank=True, default="和矩阵")
    buildings = models.ManyToManyField(
        OfficeBuilding, related_name="councils", verbose_name=_("覆盖楼宇")
    )
    convener = models.CharField(_("召集人"), max_length=100)
    secretary_general = models.CharField(_("秘书长"), max_length=100)
    party_committee = models.CharField(_("汇报的楼宇党委"), max_length=200, blank=True)
    founded = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("楼务会")
        verbose_name_plural = _("楼务会")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="uniq_council_org_name")
        ]

    def __str__(self) -> str:
        return self.name


class MemberKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PROPERTY = "property", _("物业")
    DEPARTMENT = "department", _("职能部门")
    OTHER = "other", _("其他")


class CouncilMember(TimeStampedModel):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("类型"), max_length=12, choices=MemberKind.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("企业"),
        related_name="council_memberships",
    )
    name = models.CharField(_("单位名称"), max_length=200, blank=True)
    role = models.CharField(_("角色"), max_length=50, blank=True)

    class Meta:
        ordering = ["council_id", "kind", "id"]
        verbose_name = _("成员单位")
        verbose_name_plural = _("成员单位")

    def __str__(self) -> str:
        return self.name or str(self.enterprise)


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("例会")
    SEMINAR = "seminar", _("专题研讨会")
    BLOCK = "block", _("街区专题议事会")


class Meeting(TimeStampedModel):
    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("楼务会")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=MeetingKind.choices)
    date = models.DateField(_("日期"))
    title = models.CharField(_("议题"), max_length=200)
    attendees = models.JSONField(_("参会人员"), default=list, blank=True)
    experts = models.JSONField(_("受邀专家"), default=list, blank=True)
    departments = models.JSONField(_("参会部门"), default=list, blank=True)
    agenda = models.TextField(_("议程"), blank=True)
    minutes = models.TextField(_("纪要"), blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("会议")
        verbose_name_plural = _("会议")

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class ActionState(models.TextChoices):
    OPEN = "open", _("待办")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已办结")
    CANCELLED = "cancelled", _("已取消")


ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    ActionState.OPEN: frozenset({ActionState.IN_PROGRESS, ActionState.DONE, ActionState.CANCELLED}),
    ActionState.IN_PROGRESS: frozenset({ActionState.DONE, ActionState.CANCELLED}),
    ActionState.DONE: frozenset(),
    ActionState.CANCELLED: frozenset(),
}


class ActionItem(TimeStampedModel):
    """A decision of a meeting turned into work: owner, deadline, state; closed with a result."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("会议")
    )
    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("楼务会")
    )
    title = models.CharField(_("事项"), max_length=200)
    owner = models.CharField(_("责任单位/人"), max_length=100)
    deadline = models.DateField(_("完成时限"))
    state = models.CharField(
        _("状态"), max_length=12, choices=ActionState.choices, default=ActionState.OPEN
    )
    result = models.TextField(_("办理结果"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")

    def __str__(self) -> str:
        return self.title


class LiaisonAssignment(TimeStampedModel):
    """包联: a key building assigned to a subdistrict leader and a paired department."""

    building = models.OneToOneField(
        OfficeBuilding, on_delete=models.CASCADE, related_name="liaison", verbose_name=_("楼宇")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="liaison_buildings",
        verbose_name=_("包联领导"),
    )
    department = models.CharField(_("结对科室"), max_length=100)
    interval_days = models.PositiveSmallIntegerField(_("走访周期（天）"), default=90)

    class Meta:
        ordering = ["building__name"]
        verbose_name = _("包联")
        verbose_name_plural = _("包联")

    def __str__(self) -> str:
        return f"{self.building} · {self.leader}"


class LiaisonVisit(TimeStampedModel):
    building = models.ForeignKey(
        OfficeBuilding,
        on_delete=models.CASCADE,
        related_name="liaison_visits",
        verbose_name=_("楼宇"),
    )
    date = models.DateField(_("走访日期"))
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("走访人员")
    )
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="liaison_visits", verbose_name=_("走访企业")
    )
    issues = models.JSONField(_("企业反映的问题"), default=list, blank=True)
    note = models.TextField(_("记录"), blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("包联走访")
        verbose_name_plural = _("包联走访")

    def __str__(self) -> str:
        return f"{self.building} {self.date}"


class RequestType(TimeStampedModel):
    """A type of enterprise request with its due steps (configurable per type)."""

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_free_service = models.BooleanField(_("五大免费服务之一"), default=False)
    ack_hours = models.PositiveSmallIntegerField(_("受理时限（小时）"), default=4)
    response_days = models.PositiveSmallIntegerField(_("首次答复时限（工作日）"), default=2)
    resolve_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"), default=10)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("诉求类型")
        verbose_name_plural = _("诉求类型")

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已解决")
    REFERRED = "referred", _("已转部门")
    CLOSED = "closed", _("已关闭")


REQUEST_OPEN = frozenset(
    {RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, RequestStatus.IN_PROGRESS}
)
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.RECEIVED: frozenset({RequestStatus.ACKNOWLEDGED, RequestStatus.CLOSED}),
    RequestStatus.ACKNOWLEDGED: frozenset(
        {
            RequestStatus.IN_PROGRESS,
            RequestStatus.RESOLVED,
            RequestStatus.REFERRED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.IN_PROGRESS: frozenset(
        {RequestStatus.RESOLVED, RequestStatus.REFERRED, RequestStatus.CLOSED}
    ),
    RequestStatus.RESOLVED: frozenset({RequestStatus.CLOSED}),
    RequestStatus.REFERRED: frozenset({RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
}


class EnterpriseRequest(TimeStampedModel):
    """An enterprise request (企业诉求)."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    number = models.CharField(_("编号"), max_length=32, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="requests", verbose_name=_("企业")
    )
    type = models.ForeignKey(RequestType, on_delete=models.PROTECT, verbose_name=_("类型"))
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("承办人"),
        related_name="enterprise_requests",
    )
    referred_to = models.CharField(_("转办部门"), max_length=100, blank=True)
    policy = models.ForeignKey(
        "Policy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("相关政策"),
        related_name="requests",
    )
    liaison_visit = models.ForeignKey(
        LiaisonVisit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("来自包联走访"),
        related_name="requests",
    )
    received_at = models.DateTimeField(_("接收时间"))
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    ack_due = models.DateTimeField(_("受理期限"))
    response_due = models.DateField(_("答复期限"))
    resolve_due = models.DateField(_("办结期限"))
    rating = models.PositiveSmallIntegerField(_("企业评价 (1–5)"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="request_newest_first"),
            models.Index(fields=["status", "resolve_due"], name="request_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="request_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return self.number


class RequestTransition(models.Model):
    request = models.ForeignKey(
        EnterpriseRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("诉求状态变更")
        verbose_name_plural = _("诉求状态变更")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"


class Policy(TimeStampedModel):
    """A policy in the library, linked from policy-advice requests."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("发布范围"), related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    issuer = models.CharField(_("发文单位"), max_length=100)
    issued_on = models.DateField(_("发布日期"))
    summary = models.TextField(_("摘要"))
    industries = models.JSONField(_("适用行业"), default=list, blank=True)
    attachment = models.FileField(_("附件 (PDF)"), upload_to="policies/", blank=True)

    class Meta:
        ordering = ["-issued_on", "id"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")

    def __str__(self) -> str:
        return self.title
