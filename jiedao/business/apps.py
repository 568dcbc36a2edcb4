from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    name = "jiedao.business"
    label = "business"
    verbose_name = _("营商环境")

    def ready(self) -> None:
        from jiedao.business import models, policies
        from jiedao.core.audit import track

        policies.register()
        for model in (
            models.BuildingProfile,
            models.EnterpriseProfile,
            models.Vacancy,
            models.Viewing,
            models.Council,
            models.CouncilMember,
            models.Meeting,
            models.ActionItem,
            models.LiaisonAssignment,
            models.LiaisonVisit,
            models.RequestType,
            models.EnterpriseRequest,
            models.Policy,
        ):
            track(model)
        from jiedao.business.module import MODULE
        from jiedao.core.modules import register

        register(MODULE)
