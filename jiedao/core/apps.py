from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiedao.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from jiedao.core import audit, models, policies

        policies.register()
        for model in (
            models.OrgUnit,
            models.Compound,
            models.ResidentialBlock,
            models.OfficeBuilding,
            models.Household,
            models.Person,
            models.Enterprise,
        ):
            audit.track(model)
        audit.protect_log()
        from django.db.models.signals import post_delete, post_save

        from jiedao.core.workdays import forget_overrides

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kw: forget_overrides(),
                sender=models.WorkdayOverride,
                weak=False,
                dispatch_uid=f"workday_override_{signal}",
            )
        from jiedao.core import demo, imports  # noqa: F401  (registers demo steps, importers)
