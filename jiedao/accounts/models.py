"""Users, their role memberships in the org tree, and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    CITY_LEADER = "city_leader", _("市级领导")
    DISTRICT_LEADER = "district_leader", _("区级领导")
    SUBDISTRICT_ADMIN = "subdistrict_admin", _("街道管理员")
    SUBDISTRICT_LEADER = "subdistrict_leader", _("街道领导")
    SERVICE_CLERK = "service_clerk", _("受理中心窗口人员")
    BUSINESS_OFFICER = "business_officer", _("营商办工作人员")
    RENEWAL_OFFICER = "renewal_officer", _("城市更新办工作人员")
    LIVELIHOOD_OFFICER = "livelihood_officer", _("民生办工作人员")
    COMMITTEE_WORKER = "committee_worker", _("居委会社工")
    HOTLINE_OFFICER = "hotline_officer", _("城运中心（12345）工作人员")
    EXPERT = "expert", _("评审专家")
    RESIDENT = "resident", _("居民")
    ENTERPRISE_CONTACT = "enterprise_contact", _("企业联系人")


# Roles grouped by what they may do; policies combine these sets rather than list roles.
LEADERS = frozenset({Role.CITY_LEADER, Role.DISTRICT_LEADER, Role.SUBDISTRICT_LEADER})
DEPARTMENT_STAFF = frozenset(
    {
        Role.SERVICE_CLERK,
        Role.BUSINESS_OFFICER,
        Role.RENEWAL_OFFICER,
        Role.LIVELIHOOD_OFFICER,
    }
)
SUBDISTRICT_STAFF = DEPARTMENT_STAFF | {
    Role.SUBDISTRICT_ADMIN,
    Role.COMMITTEE_WORKER,
    Role.HOTLINE_OFFICER,
}
PUBLIC_ROLES = frozenset({Role.RESIDENT, Role.ENTERPRISE_CONTACT})


class User(AbstractUser):
    display_name = models.CharField(_("显示名称"), max_length=100, blank=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(models.Model):
    """A role held by a user over an org unit and everything below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        "core.OrgUnit", on_delete=models.PROTECT, related_name="memberships", verbose_name=_("组织")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "role"]
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="uniq_membership_user_role_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"
