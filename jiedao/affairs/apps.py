from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffairsConfig(AppConfig):
    name = "jiedao.affairs"
    label = "affairs"
    verbose_name = _("政务服务")

    def ready(self) -> None:
        from jiedao.affairs import models, policies
        from jiedao.core.audit import track

        policies.register()
        for model in (
            models.ServiceItem,
            models.ServicePoint,
            models.Ticket,
            models.DoorToDoorRequest,
            models.ReturnVisit,
        ):
            track(model)
        from jiedao.affairs.module import MODULE
        from jiedao.core.modules import register

        register(MODULE)
