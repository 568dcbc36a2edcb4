"""Demo data of urban renewal (seeded, idempotent)."""

from __future__ import annotations

from jiedao.core.demo import DemoContext, demo_step
from jiedao.renewal.models import WorkMethod

# The "eight methods of mass work" (群众工作八法) as the catalogue's first entries; the source
# names the eight methods without listing them, so these are descriptive working names.
EIGHT_METHODS = [
    ("党员带头法", "党员、楼组长先签约、先搬场，带动邻里。"),
    ("上门走访法", "一户一档，反复上门，面对面听取诉求。"),
    ("政策宣讲法", "逐条讲清补偿安置政策，算清明白账。"),
    ("亲情动员法", "请亲属、老邻居一起做工作。"),
    ("专业帮办法", "律师、评估师现场解答法律和评估问题。"),
    ("难题会商法", "对继承纠纷等疑难户集体会商、一户一策。"),
    ("暖心服务法", "为老人、残疾人提供搬家、过渡等帮助。"),
    ("公开透明法", "方案、进度、结果全程公开，接受监督。"),
]


@demo_step("renewal.methods", order=80)
def demo_methods(ctx: DemoContext) -> None:
    for order, (name, description) in enumerate(EIGHT_METHODS):
        WorkMethod.objects.get_or_create(
            name=name, defaults={"description": description, "order": order}
        )
