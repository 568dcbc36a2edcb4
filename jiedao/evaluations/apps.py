from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "jiedao.evaluations"
    label = "evaluations"
    verbose_name = _("好差评")

    def ready(self) -> None:
        from jiedao.core.modules import register
        from jiedao.evaluations import policies
        from jiedao.evaluations.module import MODULE

        policies.register()
        register(MODULE)
