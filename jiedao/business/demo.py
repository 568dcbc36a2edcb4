"""Demo data of the business environment module (seeded, idempotent)."""

from __future__ import annotations

from jiedao.business.models import RequestType
from jiedao.core.demo import DemoContext, demo_step

# code, name, free service?, acknowledge (hours), first response (working days), resolve (wd)
REQUEST_TYPES = [
    ("registration", "登记注册", True, 4, 1, 5),
    ("office_viewing", "办公场地带看", True, 4, 2, 10),
    ("recruitment", "人才招聘", True, 8, 2, 15),
    ("financing", "企业融资", True, 8, 3, 20),
    ("policy", "政策咨询", True, 4, 1, 5),
    ("difficulty", "困难诉求/其他", False, 8, 2, 15),
]


@demo_step("business.request_types", order=70)
def demo_request_types(ctx: DemoContext) -> None:
    for order, (code, name, free, ack, response, resolve) in enumerate(REQUEST_TYPES):
        RequestType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "is_free_service": free,
                "ack_hours": ack,
                "response_days": response,
                "resolve_days": resolve,
                "order": order,
            },
        )
