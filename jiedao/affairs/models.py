"""Government services (政务服务): catalogue, the 1+3+12+X network, tickets, trips, visits."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Enterprise, OrgUnit, Person, TimeStampedModel


class AttributeType(models.TextChoices):
    """Open311 datatypes of an extra attribute an applicant must give."""

    STRING = "string", _("文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


class ServiceItem(TimeStampedModel):
    """A service item (事项) of the catalogue, shaped like an Open311 service definition."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    code = models.SlugField(_("事项编码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    group = models.CharField(_("分组"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    materials = models.JSONField(_("所需材料"), default=list, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), default=5)
    online = models.BooleanField(_("可一网通办"), default=False)
    door_to_door = models.BooleanField(_("提供上门帮办"), default=False)
    # [{"code", "label", "datatype", "required", "values": [{"key", "name"}]}]
    attributes = models.JSONField(_("附加信息"), default=list, blank=True)
    # Share of completed tickets sampled for a return visit (late or complained: all).
    sample_rate = models.DecimalField(
        _("回访抽样比例"), max_digits=4, decimal_places=3, default=Decimal("0.100")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["group", "code"]
        verbose_name = _("事项")
        verbose_name_plural = _("事项")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PointKind(models.TextChoices):
    CENTRE = "centre", _("受理中心")
    SELF_SERVICE = "self_service", _("自助服务站")
    HELP_POINT = "help_point", _("帮办点")
    DOOR_TO_DOOR = "door_to_door", _("上门帮办")


class ServicePoint(TimeStampedModel):
    """A point of the 1+3+12+X network."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("服务的组织"), related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=PointKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=100, blank=True)
    items = models.ManyToManyField(ServiceItem, blank=True, verbose_name=_("可办事项"))
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, verbose_name=_("工作人员"), related_name="+"
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("服务点")
        verbose_name_plural = _("服务点")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="uniq_point_org_name")
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口")
    SELF_SERVICE = "self_service", _("自助")
    HELP_POINT = "help_point", _("帮办点")
    DOOR_TO_DOOR = "door_to_door", _("上门")
    ONLINE = "online", _("网上")
    PHONE = "phone", _("电话/12345")


class TicketStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    RETURNED = "returned", _("退回补正")
    RESUBMITTED = "resubmitted", _("已补正")
    COMPLETED = "completed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = frozenset(
    {
        TicketStatus.SUBMITTED,
        TicketStatus.ACCEPTED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RETURNED,
        TicketStatus.RESUBMITTED,
    }
)
CLOSED_STATUSES = frozenset({TicketStatus.COMPLETED, TicketStatus.REJECTED, TicketStatus.WITHDRAWN})

# The only moves a ticket can make; anything else is refused with a clear message.
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.SUBMITTED: frozenset(
        {
            TicketStatus.ACCEPTED,
            TicketStatus.RETURNED,
            TicketStatus.REJECTED,
            TicketStatus.WITHDRAWN,
        }
    ),
    TicketStatus.ACCEPTED: frozenset(
        {
            TicketStatus.IN_PROGRESS,
            TicketStatus.COMPLETED,
            TicketStatus.RETURNED,
            TicketStatus.REJECTED,
            TicketStatus.WITHDRAWN,
        }
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {
            TicketStatus.COMPLETED,
            TicketStatus.RETURNED,
            TicketStatus.REJECTED,
            TicketStatus.WITHDRAWN,
        }
    ),
    TicketStatus.RETURNED: frozenset({TicketStatus.RESUBMITTED, TicketStatus.WITHDRAWN}),
    TicketStatus.RESUBMITTED: frozenset(
        {
            TicketStatus.ACCEPTED,
            TicketStatus.RETURNED,
            TicketStatus.REJECTED,
            TicketStatus.WITHDRAWN,
        }
    ),
    TicketStatus.COMPLETED: frozenset(),
    TicketStatus.REJECTED: frozenset(),
    TicketStatus.WITHDRAWN: frozenset(),
}


class Ticket(TimeStampedModel):
    """A service ticket (办件)."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, verbose_name=_("事项"))
    point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, verbose_name=_("受理点"), related_name="tickets"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    applicant_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("申请人"),
        related_name="tickets",
    )
    applicant_enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("申请企业"),
        related_name="tickets",
    )
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)
    materials = models.JSONField(_("材料清单"), default=dict, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("经办人"),
        related_name="handled_tickets",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_date = models.DateField(_("办结期限"))
    notes = models.TextField(_("备注"), blank=True)
    complained = models.BooleanField(_("有投诉"), default=False)
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("跟进自"),
    )
    needs_follow_up = models.BooleanField(_("需跟进"), default=False)
    breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["status", "due_date"], name="ticket_status_due"),
            models.Index(fields=["completed_at"], name="ticket_completed"),
            # The lists' default order: newest first, read a page at a time.
            models.Index(fields=["-submitted_at", "-id"], name="ticket_newest_first"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketTransition(models.Model):
    """One move of a ticket: who, when, from which status to which, why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=TicketStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办件状态变更")
        verbose_name_plural = _("办件状态变更")
        indexes = [models.Index(fields=["ticket", "to_status"], name="transition_ticket_to")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status} → {self.to_status}"


class Trip(models.Model):
    """One in-person trip the applicant made for a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="trips")
    date = models.DateField(_("日期"))
    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, verbose_name=_("地点"))
    purpose = models.CharField(_("事由"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("跑动记录")
        verbose_name_plural = _("跑动记录")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.date}"


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", _("待安排")
    SCHEDULED = "scheduled", _("已安排")
    VISITED = "visited", _("已上门")
    CANCELLED = "cancelled", _("已取消")


class DoorToDoorRequest(TimeStampedModel):
    """上门帮办: someone who cannot come is visited by a staff member on a date."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, verbose_name=_("居民"))
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("事项")
    )
    reason = models.CharField(_("原因"), max_length=200)
    requested_via = models.CharField(_("申请方式"), max_length=16, choices=Channel.choices)
    point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("帮办点")
    )
    scheduled_date = models.DateField(_("上门日期"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("上门人员"),
        related_name="door_visits",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.REQUESTED
    )
    outcome = models.TextField(_("上门结果"), blank=True)
    visited_at = models.DateTimeField(_("上门时间"), null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("办件"),
        related_name="door_visits",
    )

    class Meta:
        ordering = ["scheduled_date", "id"]
        verbose_name = _("上门帮办")
        verbose_name_plural = _("上门帮办")

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheduled_date}"


class Resolution(models.TextChoices):
    RESOLVED = "resolved", _("已解决")
    PARTLY = "partly", _("部分解决")
    NOT_RESOLVED = "not_resolved", _("未解决")


RETURN_VISIT_QUESTIONS = [
    _("您的事项是否已经办好？"),
    _("您一共跑了几次？"),
    _("工作人员的服务态度怎么样？"),
    _("您在业务办理的过程中，觉得我们有哪些地方需要改进？"),
]


class ReturnVisit(TimeStampedModel):
    """A call back to the applicant (回访)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="return_visits")
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField(_("回访时间"))
    answers = models.JSONField(_("问答"), default=list, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度 (1–5)"))
    resolution = models.CharField(_("解决情况"), max_length=16, choices=Resolution.choices)
    suggestions = models.TextField(_("意见建议"), blank=True)

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="return_visit_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.satisfaction}"


class Open311Client(TimeStampedModel):
    """An outside application allowed to file requests through Open311 for one subdistrict."""

    name = models.CharField(_("应用名称"), max_length=100)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("街道"), related_name="+"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 应用")
        verbose_name_plural = _("Open311 应用")

    def __str__(self) -> str:
        return self.name
