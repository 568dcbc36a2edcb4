"""Urban renewal (城市更新): projects, households, two consultation rounds, signing, moving out,
visits and the funding ledger."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Compound, OrgUnit, Person, TimeStampedModel


class ProjectKind(models.TextChoices):
    REBUILD = "rebuild", _("拆除重建")
    RENOVATE = "renovate", _("成套改造")
    EXPROPRIATE = "expropriate", _("征收")
    URBAN_VILLAGE = "urban_village", _("城中村改造")


class Phase(models.TextChoices):
    PLANNED = "planned", _("计划中")
    CONSULTATION = "consultation", _("意愿征询")
    SIGNING = "signing", _("签约")
    MOVING_OUT = "moving_out", _("搬场交房")
    DEMOLITION = "demolition", _("拆除")
    CONSTRUCTION = "construction", _("建设")
    MOVE_BACK = "move_back", _("回搬")
    DONE = "done", _("已完成")
    STOPPED = "stopped", _("终止")


PHASE_ORDER = [
    Phase.PLANNED,
    Phase.CONSULTATION,
    Phase.SIGNING,
    Phase.MOVING_OUT,
    Phase.DEMOLITION,
    Phase.CONSTRUCTION,
    Phase.MOVE_BACK,
    Phase.DONE,
]
PHASE_TRANSITIONS: dict[str, frozenset[str]] = {
    Phase.PLANNED: frozenset({Phase.CONSULTATION, Phase.STOPPED}),
    Phase.CONSULTATION: frozenset({Phase.SIGNING, Phase.STOPPED}),
    Phase.SIGNING: frozenset({Phase.MOVING_OUT, Phase.STOPPED}),
    Phase.MOVING_OUT: frozenset({Phase.DEMOLITION}),
    Phase.DEMOLITION: frozenset({Phase.CONSTRUCTION}),
    Phase.CONSTRUCTION: frozenset({Phase.MOVE_BACK, Phase.DONE}),
    Phase.MOVE_BACK: frozenset({Phase.DONE}),
    Phase.DONE: frozenset(),
    Phase.STOPPED: frozenset(),
}
# A project counts as "done" in the overview from demolition on: its residents are out and
# the renovation or expropriation work of the office is complete.
DELIVERED_PHASES = frozenset({Phase.DEMOLITION, Phase.CONSTRUCTION, Phase.MOVE_BACK, Phase.DONE})


class RenewalProject(TimeStampedModel):
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"), related_name="+"
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, verbose_name=_("小区"), related_name="renewal_projects"
    )
    name = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=ProjectKind.choices)
    phase = models.CharField(_("阶段"), max_length=16, choices=Phase.choices, default=Phase.PLANNED)
    floor_area = models.DecimalField(_("建筑面积 (m²)"), max_digits=12, decimal_places=1)
    planned_households = models.PositiveIntegerField(_("计划户数"), default=0)
    team = models.CharField(_("责任团队"), max_length=200, blank=True)
    started_on = models.DateField(_("启动日期"), null=True, blank=True)
    consultation_closed_on = models.DateField(_("意愿征询截止"), null=True, blank=True)
    signing_deadline = models.DateField(_("签约期截止"), null=True, blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    agree_threshold = models.DecimalField(
        _("意愿征询通过比例"), max_digits=4, decimal_places=3, default=Decimal("0.900")
    )
    sign_threshold = models.DecimalField(
        _("签约生效比例"), max_digits=4, decimal_places=3, default=Decimal("0.850")
    )
    # The decisions, computed from the households' records when a round closes.
    consultation_passed = models.BooleanField(_("意愿征询通过"), null=True, blank=True)
    agreements_effective = models.BooleanField(_("协议生效"), null=True, blank=True)
    # [{"code": "move_back", "label": "原地回搬"}, …]
    options = models.JSONField(_("安置方式"), default=list, blank=True)

    class Meta:
        ordering = ["-started_on", "name"]
        verbose_name = _("更新项目")
        verbose_name_plural = _("更新项目")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="uniq_renewal_project_name")
        ]

    def __str__(self) -> str:
        return self.name


class Tenure(models.TextChoices):
    PUBLIC = "public", _("公房承租")
    PRIVATE = "private", _("私房产权")
    OTHER = "other", _("其他")


class Answer(models.TextChoices):
    NONE = "", _("未答复")
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("不同意")


class Household(TimeStampedModel):
    """A household of a renewal project (产权户/居民户). `version` guards against lost updates."""

    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="households", verbose_name=_("项目")
    )
    block = models.CharField(_("楼号"), max_length=20)
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("室号"), max_length=20)
    floor_area = models.DecimalField(_("面积 (m²)"), max_digits=8, decimal_places=1)
    tenure = models.CharField(_("权属"), max_length=10, choices=Tenure.choices)
    contact = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("联系人"),
        related_name="+",
    )
    members = models.ManyToManyField(Person, blank=True, related_name="renewal_households")
    special = models.JSONField(_("特殊情况"), default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("负责人员"),
        related_name="renewal_households",
    )
    answer = models.CharField(_("意愿"), max_length=10, choices=Answer.choices, blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    moved_on = models.DateField(_("搬离日期"), null=True, blank=True)
    keys_on = models.DateField(_("交钥匙日期"), null=True, blank=True)
    inspected_on = models.DateField(_("验房日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["project_id", "block", "unit", "room"]
        verbose_name = _("居民户")
        verbose_name_plural = _("居民户")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "block", "unit", "room"], name="uniq_household_address_room"
            )
        ]

    def __str__(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.block}号{unit}{self.room}室"

    @property
    def cleared(self) -> bool:
        return bool(self.moved_on and self.keys_on and self.inspected_on)


class Agreement(TimeStampedModel):
    """Round two: the signed agreement of one household (revocable only by a supervisor)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("居民户")
    )
    number = models.CharField(_("协议编号"), max_length=40, unique=True)
    option = models.CharField(_("安置方式"), max_length=30)
    signed_on = models.DateField(_("签约日期"))
    signed_by = models.CharField(_("签约人"), max_length=50)
    compensation = models.DecimalField(
        _("补偿金额 (元)"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    relocation_allowance = models.DecimalField(
        _("过渡费/搬家费 (元)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("协议")
        verbose_name_plural = _("协议")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_agreement_per_household",
            )
        ]

    def __str__(self) -> str:
        return self.number


class WorkMethod(TimeStampedModel):
    """A practised method of mass work (the catalogue starts with the "eight methods")."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("群众工作方法")
        verbose_name_plural = _("群众工作方法")

    def __str__(self) -> str:
        return self.name


class Visit(TimeStampedModel):
    """Every contact with a household (走访)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="visits", verbose_name=_("居民户")
    )
    date = models.DateField(_("日期"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("走访人"),
    )
    discussed = models.TextField(_("沟通内容"))
    concerns = models.TextField(_("诉求与顾虑"), blank=True)
    promises = models.TextField(_("承诺事项"), blank=True)
    follow_up = models.TextField(_("跟进情况"), blank=True)
    concern_open = models.BooleanField(_("顾虑未解决"), default=False)
    method = models.ForeignKey(
        WorkMethod, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("工作方法")
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")

    def __str__(self) -> str:
        return f"{self.household_id} {self.date}"


class SourceKind(models.TextChoices):
    DISTRICT = "district", _("区财政")
    CITY = "city", _("市级资金")
    OWNERS = "owners", _("居民出资")
    OTHER = "other", _("其他")


class FundingSource(TimeStampedModel):
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="sources", verbose_name=_("项目")
    )
    kind = models.CharField(_("来源"), max_length=12, choices=SourceKind.choices)
    amount = models.DecimalField(_("预算金额 (元)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["project_id", "kind"]
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")

    def __str__(self) -> str:
        return f"{self.project} {self.kind} {self.amount}"


class EntryKind(models.TextChoices):
    COMMITMENT = "commitment", _("承诺")
    PAYMENT = "payment", _("支付")


class EntryCategory(models.TextChoices):
    COMPENSATION = "compensation", _("补偿")
    RELOCATION = "relocation", _("过渡费/搬家费")
    CONSTRUCTION = "construction", _("建设")
    OTHER = "other", _("其他")


class LedgerEntry(TimeStampedModel):
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="ledger", verbose_name=_("项目")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    category = models.CharField(_("用途"), max_length=14, choices=EntryCategory.choices)
    amount = models.DecimalField(_("金额 (元)"), max_digits=14, decimal_places=2)
    date = models.DateField(_("日期"))
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ledger",
        verbose_name=_("居民户"),
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.SET_NULL, null=True, blank=True, related_name="ledger"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("资金台账")
        verbose_name_plural = _("资金台账")

    def __str__(self) -> str:
        return f"{self.project} {self.kind} {self.amount}"
