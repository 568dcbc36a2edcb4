from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jiedao.api import api
from jiedao.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("jiedao.affairs.open311_urls")),
    path("affairs/", include("jiedao.affairs.urls")),
    path("business/", include("jiedao.business.urls")),
    path("renewal/", include("jiedao.renewal.urls")),
    path("livelihood/", include("jiedao.livelihood.public_urls")),
    path("livelihood/", include("jiedao.livelihood.urls")),
    path("evaluations/", include("jiedao.evaluations.urls")),
    path("hotline/", include("jiedao.hotline.urls")),
    path("", include("jiedao.core.urls")),
]
