"""12345 citizen-hotline work orders (接诉即办): the dispatch catalogue, the orders with their
timed steps, return visits, dispatch-objection reviews (退单、改派、延期) and phone reveals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import AppendOnlyModel, CoordinateSystem, OrgUnit, TimeStampedModel


class CategoryKind(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    SUGGESTION = "suggestion", _("建议")
    SUPERVISION = "supervision", _("督办")
    REQUEST = "request", _("求助")
    COMPLAINT = "complaint", _("投诉")
    COMPLEX = "complex", _("复杂")
    EMERGENCY = "emergency", _("紧急")


class Category(TimeStampedModel):
    """One entry of the dispatch catalogue (派单目录): its time limit and what it allows.

    The limit is `deadline_hours` clock hours when set (emergencies), else `deadline_days`
    working days, counted from the dispatch. Configuration, with no org unit: every subdistrict
    dispatches against the same catalogue (edited in the admin).
    """

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类别"), max_length=16, choices=CategoryKind.choices)
    deadline_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=5)
    deadline_hours = models.PositiveSmallIntegerField(
        _("办理时限（小时）"),
        null=True,
        blank=True,
        help_text=_("紧急类按小时计；填写后不再按工作日计"),
    )
    extension_needs_approval = models.BooleanField(_("延期须审核"), default=True)
    send_back_allowed = models.BooleanField(
        _("允许退单"),
        default=False,
        help_text=_("原则上不准退单；只有确属非本街道职责的类别才允许"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("派单目录")
        verbose_name_plural = _("派单目录")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_days__gte=1) | Q(deadline_hours__gte=1),
                name="hotline_category_has_deadline",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def deadline_label(self) -> str:
        if self.deadline_hours:
            return str(_("%(n)s小时")) % {"n": self.deadline_hours}
        return str(_("%(n)s个工作日")) % {"n": self.deadline_days}


class HotlineClient(TimeStampedModel):
    """The hotline platform (or another system) allowed to push orders, with a hashed key.

    It may push orders for the subdistricts at or under its org unit (a district's 12345
    centre pushes for every subdistrict of the district). Its `source` names the numbering
    its hotline numbers belong to: a number is unique per source.
    """

    name = models.CharField(_("平台名称"), max_length=100)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    source = models.SlugField(_("来源编码"), max_length=30, default="12345")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("热线平台接入")
        verbose_name_plural = _("热线平台接入")

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    SIGNED = "signed", _("已签收")
    CONTACTED = "contacted", _("已联系")
    HANDLING = "handling", _("办理中")
    REPLIED = "replied", _("已回复")
    VISITED = "visited", _("已回访")
    ASSESSED = "assessed", _("已考核")
    MERGED = "merged", _("已合并")
    SENT_BACK = "sent_back", _("已退单")


S = OrderStatus
# The only moves. A return visit (`order_visit`) moves replied → visited, and an unsatisfied one
# on to handling again (a warning order, written by the visit itself); `order_merge` moves an
# order to merged; an approved review sends it back (→ sent_back) or gives it to another unit
# (→ dispatched), from REROUTE_FROM only.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.DISPATCHED, S.MERGED}),
    S.DISPATCHED: frozenset({S.SIGNED, S.MERGED}),
    S.SIGNED: frozenset({S.CONTACTED}),
    S.CONTACTED: frozenset({S.HANDLING}),
    S.HANDLING: frozenset({S.REPLIED}),
    S.REPLIED: frozenset({S.VISITED}),
    S.VISITED: frozenset({S.ASSESSED}),
    S.ASSESSED: frozenset(),
    S.MERGED: frozenset(),
    S.SENT_BACK: frozenset(),
}
CLOSED_STATUSES = frozenset({S.ASSESSED, S.MERGED, S.SENT_BACK})
OPEN_STATUSES = frozenset(set(S.values) - CLOSED_STATUSES)
# Before the caller is contacted an order may still be sent back or given to another unit.
REROUTE_FROM = frozenset({S.DISPATCHED, S.SIGNED})
EXTEND_FROM = frozenset({S.SIGNED, S.CONTACTED, S.HANDLING})
# Orders still running against their reply deadline.
REPLY_PENDING = frozenset({S.DISPATCHED, S.SIGNED, S.CONTACTED, S.HANDLING})


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class OrderChannel(models.TextChoices):
    PUSH = "push", _("平台推送")
    MANUAL = "manual", _("人工录入")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


SATISFIED_LEVELS = frozenset({Satisfaction.SATISFIED, Satisfaction.BASIC})


class WorkOrder(TimeStampedModel):
    """A 12345 work order (工单) of one subdistrict.

    `org_unit` is the unit that holds it now: the subdistrict until it is dispatched, then its
    lead unit (承办单位, a committee of the subdistrict), so a committee's staff see the orders
    their committee leads and the roll-ups count each order in its lead unit.
    The caller's phone is stored encrypted, with a blind index (repeat calls) and a masked copy
    (everything that is shown).
    """

    subdistrict = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("街道"), related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("承办单位"), related_name="+"
    )
    assisting_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("协办单位")
    )
    number = models.CharField(_("编号"), max_length=32, unique=True)
    source = models.SlugField(_("来源"), max_length=30, default="12345")
    hotline_number = models.CharField(_("热线工单号"), max_length=40)
    channel = models.CharField(
        _("接收方式"), max_length=8, choices=OrderChannel.choices, default=OrderChannel.MANUAL
    )
    client = models.ForeignKey(
        HotlineClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("推送平台"),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("来电号码"), max_length=24, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    coordinate_system = models.CharField(
        _("坐标系"),
        max_length=8,
        choices=CoordinateSystem.choices,
        default=CoordinateSystem.WGS84,
    )
    text = models.TextField(_("诉求内容"))
    status = models.CharField(
        _("状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    received_at = models.DateTimeField(_("受理时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    handling_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("考核时间"), null=True, blank=True)
    contact_due = models.DateTimeField(_("联系期限"), null=True, blank=True)
    reply_due = models.DateTimeField(_("办理期限"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("已延期（工作日）"), default=0)
    reply = models.TextField(_("回复内容"), blank=True)
    satisfaction = models.CharField(
        _("回访满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    resolved = models.BooleanField(_("是否解决"), null=True, blank=True)
    warning = models.BooleanField(_("预警工单"), default=False)
    warning_at = models.DateTimeField(_("转预警时间"), null=True, blank=True)
    warning_due = models.DateTimeField(_("预警办理期限"), null=True, blank=True)
    warning_replied_at = models.DateTimeField(_("预警回复时间"), null=True, blank=True)
    # The government-services ticket the call is about, if any: an evaluation given on the
    # return visit feeds 好差评 as an evaluation of that ticket through 12345.
    ticket = models.ForeignKey(
        "affairs.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所涉办件"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_calls",
        verbose_name=_("合并至"),
    )
    contact_overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    reply_overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    warning_overdue_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("12345工单")
        verbose_name_plural = _("12345工单")
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="hotline_newest_first"),
            models.Index(fields=["status", "reply_due"], name="hotline_status_due"),
            models.Index(fields=["phone_hash", "category"], name="hotline_repeat_calls"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "hotline_number"], name="hotline_number_unique_per_source"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True, latitude__isnull=True)
                | Q(longitude__isnull=False, latitude__isnull=False),
                name="hotline_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OrderTransition(models.Model):
    """One step of an order: from, to, who, when, and what they noted."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("工单状态变更")
        verbose_name_plural = _("工单状态变更")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class ReturnVisit(TimeStampedModel):
    """One return visit (回访) of an order's caller; a warning order gets a second one."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="visits")
    round = models.PositiveSmallIntegerField(_("回访轮次"), default=1)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    resolved = models.BooleanField(_("是否解决"))
    note = models.CharField(_("回访记录"), max_length=500, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回访人"),
    )
    visited_at = models.DateTimeField(_("回访时间"))

    class Meta:
        ordering = ["visited_at", "id"]
        verbose_name = _("工单回访")
        verbose_name_plural = _("工单回访")
        constraints = [
            models.UniqueConstraint(fields=["order", "round"], name="hotline_visit_round_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.round}"


class ReviewKind(models.TextChoices):
    SEND_BACK = "send_back", _("退单")
    REASSIGN = "reassign", _("改派")
    EXTENSION = "extension", _("延期")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("已驳回")


class Review(TimeStampedModel):
    """A dispatch objection (派单异议) or extension request, decided by a reviewer."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("申请类型"), max_length=12, choices=ReviewKind.choices)
    status = models.CharField(
        _("审核状态"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reason = models.CharField(_("理由"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"))
    lead_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("改派至"),
    )
    extra_days = models.PositiveSmallIntegerField(_("延期（工作日）"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("派单异议审核")
        verbose_name_plural = _("派单异议审核")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending"),
                name="hotline_one_pending_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.status}"


class PhoneReveal(AppendOnlyModel):
    """One reveal of a caller's phone number: who, when, which order, why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="reveals")
    reason = models.CharField(_("查看理由"), max_length=200)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("来电号码查看记录")
        verbose_name_plural = _("来电号码查看记录")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.order_id}"
