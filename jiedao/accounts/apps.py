from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiedao.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from jiedao.core.audit import track

        from . import demo, models  # noqa: F401  (registers the demo users step)

        track(models.Membership)
