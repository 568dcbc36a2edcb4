"""好差评: how applicants judge each completed service, and what happens to a bad review.

An `Evaluation` is given once per case and channel ("一事一评"), for a completed affairs
ticket or a closed enterprise request, and is never changed afterwards (append-only). A bad
one (不满意 / 非常不满意) opens a `Rectification`, which follows Shanghai's "1、5、15" rule:
contact the person within 1 working day, fix a simple case within 5 and a complex one within
15 working days, then a second return visit where the person rates the fix. The unit may
appeal a malicious or mistaken review (`Appeal`); an administrator decides, and an upheld
appeal takes the evaluation out of every figure, its reason kept.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import AppendOnlyModel, OrgUnit, Person, TimeStampedModel


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASIC = 3, _("基本满意")
    UNSATISFIED = 2, _("不满意")
    VERY_UNSATISFIED = 1, _("非常不满意")


GOOD_LEVELS = frozenset({Level.VERY_SATISFIED, Level.SATISFIED})
BAD_LEVELS = frozenset({Level.UNSATISFIED, Level.VERY_UNSATISFIED})


class EvalChannel(models.TextChoices):
    PAD = "pad", _("窗口评价器")
    QR = "qr", _("扫码评价")
    ONLINE = "online", _("网上评价")
    HOTLINE = "hotline", _("电话/12345")
    SMS = "sms", _("短信评价")
    DOOR = "door", _("上门回访")


# The indicators asked besides the overall level (GB/T 39734-2020): on site, and online.
ONSITE_INDICATORS = {
    "efficiency": _("办事效率"),
    "service": _("服务水平"),
    "attitude": _("服务态度"),
}
ONLINE_INDICATORS = {
    "efficiency": _("办事效率"),
    "accuracy": _("办事指南准确性"),
    "convenience": _("办理便捷程度"),
    "ease": _("平台易用性"),
}
ONSITE_CHANNELS = frozenset({EvalChannel.PAD, EvalChannel.QR, EvalChannel.DOOR})
# Channels staff enter on the applicant's behalf (a call, a visit); the others the applicant
# gives through an unguessable link or their own account.
STAFF_CHANNELS = frozenset({EvalChannel.HOTLINE, EvalChannel.DOOR})


def indicators_for(channel: str) -> dict[str, Any]:
    return dict(ONSITE_INDICATORS) if channel in ONSITE_CHANNELS else dict(ONLINE_INDICATORS)


class Evaluation(AppendOnlyModel):
    """One evaluation of one case through one channel; never changed once given."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    ticket = models.ForeignKey(
        "affairs.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("办件"),
    )
    request = models.ForeignKey(
        "business.EnterpriseRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("企业诉求"),
    )
    channel = models.CharField(_("评价渠道"), max_length=16, choices=EvalChannel.choices)
    level = models.PositiveSmallIntegerField(_("总体评价"), choices=Level.choices)
    scores = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.CharField(_("意见建议"), max_length=500, blank=True)
    # What the evaluation is matched to (copied from the case when it is given).
    item = models.ForeignKey(
        "affairs.ServiceItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事项"),
    )
    request_type = models.ForeignKey(
        "business.RequestType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("诉求类型"),
    )
    point = models.ForeignKey(
        "affairs.ServicePoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("服务点"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("评价人"),
    )
    given_at = models.DateTimeField(_("评价时间"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代录人"),
    )
    source = models.CharField(max_length=64, blank=True, editable=False)  # keyed hash
    suspicious = models.BooleanField(_("疑似异常"), default=False)
    suspicious_reason = models.CharField(_("异常说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.CheckConstraint(
                condition=(Q(ticket__isnull=False) & Q(request__isnull=True))
                | (Q(ticket__isnull=True) & Q(request__isnull=False)),
                name="evaluation_one_case",
            ),
            models.UniqueConstraint(
                fields=["ticket", "channel"],
                condition=Q(ticket__isnull=False),
                name="uniq_evaluation_ticket_channel",
            ),
            models.UniqueConstraint(
                fields=["request", "channel"],
                condition=Q(request__isnull=False),
                name="uniq_evaluation_request_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "given_at"], name="evaluation_source"),
            models.Index(fields=["org_unit", "-given_at"], name="evaluation_org_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} · {self.get_level_display()}"

    @property
    def case_number(self) -> str:
        case = self.ticket if self.ticket_id else self.request
        return case.number if case is not None else ""

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class EvaluationToken(models.Model):
    """An unguessable, single-use link to rate one case without an account (QR, pad, SMS).

    Only the token's SHA-256 is stored; the token itself exists in the QR code or message."""

    ticket = models.ForeignKey(
        "affairs.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    request = models.ForeignKey(
        "business.EnterpriseRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(max_length=16, choices=EvalChannel.choices)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(ticket__isnull=False) & Q(request__isnull=True))
                | (Q(ticket__isnull=True) & Q(request__isnull=False)),
                name="evaluation_token_one_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.created_at:%Y-%m-%d}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待联系")
    CONTACTED = "contacted", _("已联系")
    FIXED = "fixed", _("已整改")
    REVISITED = "revisited", _("已回访")
    APPEALED = "appealed", _("申诉成立")


RECTIFICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    RectificationStatus.OPEN: frozenset({RectificationStatus.CONTACTED}),
    RectificationStatus.CONTACTED: frozenset({RectificationStatus.FIXED}),
    RectificationStatus.FIXED: frozenset({RectificationStatus.REVISITED}),
    RectificationStatus.REVISITED: frozenset(),
    RectificationStatus.APPEALED: frozenset(),
}
RECTIFICATION_OPEN = frozenset(
    {RectificationStatus.OPEN, RectificationStatus.CONTACTED, RectificationStatus.FIXED}
)
CONTACT_WORKDAYS = 1
SIMPLE_FIX_WORKDAYS = 5
COMPLEX_FIX_WORKDAYS = 15


class Rectification(TimeStampedModel):
    """The handling of one bad review (差评整改), under the "1、5、15" rule."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.PROTECT, related_name="rectification"
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    complex = models.BooleanField(_("复杂问题"), default=False)
    contact_due = models.DateField(_("联系期限"))
    fix_due = models.DateField(_("整改期限"))
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    revisited_at = models.DateTimeField(_("二次回访时间"), null=True, blank=True)
    revisit_level = models.PositiveSmallIntegerField(
        _("对整改的评价"), choices=Level.choices, null=True, blank=True
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("整改负责人"),
    )
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["fix_due", "id"]
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [models.Index(fields=["status", "fix_due"], name="rectification_due")]

    def __str__(self) -> str:
        return f"{self.evaluation.case_number} · {self.get_status_display()}"


class RectificationStep(models.Model):
    """One move of a rectification: from, to, who, when, what was done."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="steps")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=RectificationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉不成立")


class Appeal(TimeStampedModel):
    """The unit's appeal against a malicious or mistaken review (申诉复核), one per evaluation."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="appeal")
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    reason = models.CharField(_("申诉理由"), max_length=500)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("复核结果"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("复核意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")

    def __str__(self) -> str:
        return f"{self.evaluation.case_number} · {self.get_status_display()}"
