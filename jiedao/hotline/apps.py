from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "jiedao.hotline"
    label = "hotline"
    verbose_name = _("12345热线工单")

    def ready(self) -> None:
        from jiedao.core.audit import track
        from jiedao.core.modules import register
        from jiedao.hotline import models, policies
        from jiedao.hotline.module import MODULE

        policies.register()
        # The phone's ciphertext and blind index never enter the log; its masked copy does.
        track(
            models.WorkOrder,
            exclude=[
                "phone_encrypted",
                "phone_hash",
                "contact_overdue_at",
                "reply_overdue_at",
                "warning_overdue_at",
            ],
        )
        for model in (models.Category, models.HotlineClient, models.Review, models.ReturnVisit):
            track(model, exclude=["key_hash"] if model is models.HotlineClient else None)
        register(MODULE)
