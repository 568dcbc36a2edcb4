from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivelihoodConfig(AppConfig):
    name = "jiedao.livelihood"
    label = "livelihood"
    verbose_name = _("幸福民生")

    def ready(self) -> None:
        from jiedao.core.audit import track
        from jiedao.livelihood import models, policies

        policies.register()
        for model in (
            models.Programme,
            models.ReviewCriterion,
            models.Fund,
            models.Project,
            models.ProjectParty,
            models.SiteSurvey,
            models.Survey,
            models.Question,
            models.ReviewAssignment,
            models.Milestone,
            models.Spending,
        ):
            track(model)
        track(models.Photo, exclude=["original", "display", "thumb"])
        track(models.ResponseAnswer, exclude=["choices", "number", "text"])
        from jiedao.core.modules import register
        from jiedao.livelihood.module import MODULE

        register(MODULE)
