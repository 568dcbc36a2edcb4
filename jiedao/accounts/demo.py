"""Demo users (one per role), registered as a demo step."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from jiedao.accounts.models import Membership, Role, User
from jiedao.core.demo import DemoContext, demo_step
from jiedao.core.models import Enterprise, OrgUnit, Person

# username, display name, role, org code
DEMO_USERS: list[tuple[str, str, str, str]] = [
    ("admin", "平台管理员", Role.PLATFORM_ADMIN, "SH"),
    ("tmx_admin", "天目西路街道管理员", Role.SUBDISTRICT_ADMIN, "TMX"),
    ("tmx_leader", "天目西路街道领导", Role.SUBDISTRICT_LEADER, "TMX"),
    ("tmx_clerk", "受理中心窗口", Role.SERVICE_CLERK, "TMX"),
    ("tmx_business", "营商办", Role.BUSINESS_OFFICER, "TMX"),
    ("tmx_renewal", "城市更新办", Role.RENEWAL_OFFICER, "TMX"),
    ("tmx_livelihood", "民生办", Role.LIVELIHOOD_OFFICER, "TMX"),
    ("hx_worker", "华新居委会社工", Role.COMMITTEE_WORKER, "TMX-HX"),
    ("tmx_hotline", "城运中心（12345）", Role.HOTLINE_OFFICER, "TMX"),
    ("bz_admin", "北站街道管理员", Role.SUBDISTRICT_ADMIN, "BZ"),
    ("ja_leader", "静安区领导", Role.DISTRICT_LEADER, "JA"),
    ("expert1", "评审专家", Role.EXPERT, "TMX"),
    ("expert2", "评审专家（景观设计）", Role.EXPERT, "TMX"),
    ("expert3", "评审专家（工程造价，区专家库）", Role.EXPERT, "JA"),
    ("resident1", "居民", Role.RESIDENT, "TMX-HX"),
    ("enterprise1", "企业联系人", Role.ENTERPRISE_CONTACT, "TMX"),
]


@demo_step("accounts.users", order=50)
def demo_users(ctx: DemoContext) -> None:
    password = settings.JIEDAO_DEMO_PASSWORD
    for username, display, role, org_code in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"display_name": display}
        )
        if created:
            user.set_password(password)
            if role == Role.PLATFORM_ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
        Membership.objects.get_or_create(
            user=user, role=role, org_unit=OrgUnit.objects.get(code=org_code)
        )
    # The public accounts own records: resident1 a person in 华新, enterprise1 a firm's contact.
    resident = User.objects.get(username="resident1")
    if not Person.objects.filter(user=resident).exists():
        person = (
            Person.objects.filter(org_unit__code="TMX-HX", user__isnull=True).order_by("pk").first()
        )
        if person is not None:
            Person.objects.filter(pk=person.pk).update(user=resident)
    contact_user = User.objects.get(username="enterprise1")
    if not Enterprise.objects.filter(contact__user=contact_user).exists():
        enterprise = Enterprise.objects.filter(org_unit__code="TMX").order_by("pk").first()
        person = (
            Person.objects.filter(org_unit__code="TMX-HF", user__isnull=True).order_by("pk").first()
        )
        if enterprise is not None and person is not None:
            Person.objects.filter(pk=person.pk).update(user=contact_user)
            Enterprise.objects.filter(pk=enterprise.pk).update(contact=person)


def print_logins(out: Callable[[str], None]) -> None:
    default = settings.JIEDAO_DEMO_PASSWORD == "jiedao-demo"  # noqa: S105
    shown = "jiedao-demo" if default else "(JIEDAO_DEMO_PASSWORD)"
    out(f"Demo logins (password: {shown}):")
    for username, display, role, org_code in DEMO_USERS:
        out(f"  {username:<15} {Role(role).label} · {org_code} · {display}")
