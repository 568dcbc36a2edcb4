"""The org tree, places, people and enterprises every module stands on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class OrgKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    SUBDISTRICT = "subdistrict", _("街道")
    AREA = "area", _("片区")
    COMMITTEE = "committee", _("居委会")


# Which kind may sit under which: a subdistrict's committees may be grouped in named areas.
ALLOWED_CHILDREN: dict[str, set[str]] = {
    OrgKind.CITY: {OrgKind.DISTRICT},
    OrgKind.DISTRICT: {OrgKind.SUBDISTRICT},
    OrgKind.SUBDISTRICT: {OrgKind.AREA, OrgKind.COMMITTEE},
    OrgKind.AREA: {OrgKind.COMMITTEE},
    OrgKind.COMMITTEE: set(),
}


class OrgUnit(TimeStampedModel):
    """A node of the org tree. `path` (`/SH/JA/TMX/`) makes a subtree one indexed prefix."""

    kind = models.CharField(_("层级"), max_length=16, choices=OrgKind.choices)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # GeoJSON geometry (RFC 7946, WGS-84 lon/lat); the demo's boundaries are approximate.
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    # The first year of the five the report card totals ("五年来"); empty: the last five
    # complete years.
    term_start = models.PositiveSmallIntegerField(
        _("本届起始年度"), null=True, blank=True, help_text=_("成绩单“五年来”合计的第一年")
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)
        # A moved or renamed node carries its subtree's paths along.
        for child in self.children.all():
            if not child.path.startswith(self.path):
                child.save()

    def clean(self) -> None:
        if self.parent is None:
            if self.kind != OrgKind.CITY:
                raise ValidationError({"parent": _("只有市级组织可以没有上级。")})
        elif self.kind not in ALLOWED_CHILDREN[self.parent.kind]:
            raise ValidationError({"kind": _("该层级不能设在所选上级之下。")})
        if self.pk and self.parent and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("不能把组织移到它自己的下级之下。")})

    def is_within(self, ancestor: OrgUnit) -> bool:
        return self.path.startswith(ancestor.path)

    def ancestor_of_kind(self, kind: str) -> OrgUnit | None:
        node: OrgUnit | None = self
        while node is not None and node.kind != kind:
            node = node.parent
        return node


class CoordinateSystem(models.TextChoices):
    WGS84 = "WGS-84", "WGS-84"
    GCJ02 = "GCJ-02", "GCJ-02"


class Place(TimeStampedModel):
    """Address and coordinates shared by compounds and office buildings."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"))
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    coordinate_system = models.CharField(
        _("坐标系"), max_length=8, choices=CoordinateSystem.choices, default=CoordinateSystem.WGS84
    )
    floor_area = models.DecimalField(
        _("建筑面积 (m²)"), max_digits=12, decimal_places=1, default=Decimal("0.0")
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Compound(Place):
    """A housing compound (小区), looked after by a neighbourhood committee."""

    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)

    class Meta(Place.Meta):
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="uniq_compound_org_name")
        ]


class ResidentialBlock(TimeStampedModel):
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="blocks", verbose_name=_("小区")
    )
    number = models.CharField(_("楼号"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    dwellings = models.PositiveIntegerField(_("户数"), default=0)

    class Meta:
        ordering = ["compound_id", "number"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="uniq_block_number")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.number}"


class OfficeBuilding(Place):
    """An office building (楼宇)."""

    floors = models.PositiveSmallIntegerField(_("层数"), default=1)

    class Meta(Place.Meta):
        verbose_name = _("楼宇")
        verbose_name_plural = _("楼宇")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="uniq_building_org_name")
        ]


class Household(TimeStampedModel):
    """A household (户): the people living at one address."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"))
    compound = models.ForeignKey(
        Compound, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("小区")
    )
    address = models.CharField(_("地址"), max_length=200)

    class Meta:
        ordering = ["address"]
        verbose_name = _("户")
        verbose_name_plural = _("户")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "address"], name="uniq_household_address")
        ]

    def __str__(self) -> str:
        return self.address


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未知")


class Person(TimeStampedModel):
    """A resident or contact. ID number and phone are stored encrypted, masked and hashed."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"))
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=50, blank=True, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("电话"), max_length=20, blank=True, editable=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("户"),
    )
    relation_to_head = models.CharField(_("与户主关系"), max_length=20, blank=True)
    # A resident's own public account, if they have one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("居民账号"),
    )

    class Meta:
        ordering = ["name_pinyin", "id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="uniq_person_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Enterprise(TimeStampedModel):
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, verbose_name=_("所属组织"))
    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    contact = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprise_contacts",
        verbose_name=_("联系人"),
    )
    building = models.ForeignKey(
        OfficeBuilding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("楼宇"),
    )
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


class PiiField(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    PHONE = "phone", _("电话")


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete would bypass the model's save() and delete(): refuse them too."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model._meta.verbose_name} records are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model._meta.verbose_name} records are append-only")


class AppendOnlyModel(models.Model):
    """A record written once and never changed or deleted (a reveal, an evaluation)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name} records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{self._meta.verbose_name} records are append-only")


class PiiReveal(AppendOnlyModel):
    """One reveal of one personal value: who, when, which record, which field, why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reveals")
    field = models.CharField(_("字段"), max_length=16, choices=PiiField.choices)
    reason = models.CharField(_("查看理由"), max_length=200)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.person_id} · {self.field}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认")
    INVALID = "invalid", _("有错误")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(TimeStampedModel):
    """An uploaded file on its way in: preview, confirm, run, result."""

    kind = models.CharField(_("导入类型"), max_length=40)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, verbose_name=_("导入到"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    total_rows = models.PositiveIntegerField(default=0)
    # Rows' outcomes and errors, as computed by the preview and then by the run.
    summary = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self) -> str:
        return f"{self.kind} · {self.file_name}"


class WorkdayOverride(TimeStampedModel):
    """An admin's word on one day, for years the holiday library does not know or gets wrong."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class Notification(TimeStampedModel):
    """An in-app message. `key` makes a job that sends twice notify once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=120)
    message = models.CharField(_("内容"), max_length=300)
    url = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_notification_user_key")
        ]

    def __str__(self) -> str:
        return self.message


class RollupRow(TimeStampedModel):
    """One cell of the figures' roll-ups: what the records of one org unit add up to.

    A record's contribution is counted in its own org unit and every unit above it up to its
    subdistrict, so a subdistrict, area or committee reads its figures from its own rows;
    a district or city sums the rows of the subdistricts below it (`jiedao/core/figures.py`).
    `period` is "YYYY-MM", "YYYY", or "" for what holds now; `dim` splits a metric (a channel,
    a kind, a number of days for a histogram, a date compared with today at read time).
    Services keep these rows in step with the records, in the write's own transaction;
    `jiedao figures rebuild` recomputes them and `jiedao figures verify` recounts.
    """

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="rollups")
    metric = models.CharField(max_length=64)
    period = models.CharField(max_length=7, blank=True, default="")
    dim = models.CharField(max_length=64, blank=True, default="")
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["org_unit_id", "metric", "period", "dim"]
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "metric", "period", "dim"], name="uniq_rollup_cell"
            )
        ]
        indexes = [models.Index(fields=["metric", "org_unit"], name="rollup_metric_org")]

    def __str__(self) -> str:
        return f"{self.org_unit_id} {self.metric} {self.period} {self.dim}: {self.n}/{self.total}"
