from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalConfig(AppConfig):
    name = "jiedao.renewal"
    label = "renewal"
    verbose_name = _("城市更新")

    def ready(self) -> None:
        from jiedao.core.audit import track
        from jiedao.renewal import models, policies

        policies.register()
        for model in (
            models.RenewalProject,
            models.Household,
            models.Agreement,
            models.Visit,
            models.FundingSource,
            models.LedgerEntry,
            models.WorkMethod,
        ):
            track(model, exclude=["version"])
        from jiedao.core.modules import register
        from jiedao.renewal.module import MODULE

        register(MODULE)
