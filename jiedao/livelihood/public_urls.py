"""Public and residents' pages of the livelihood module, under /livelihood/public/, and the
photo files under /livelihood/photos/ (whoever may see the project may see its photos)."""

from django.urls import path

from jiedao.livelihood import public_views as views

urlpatterns = [
    path("public/", views.index, name="livelihood_public"),
    path("public/orgs/<slug:code>/", views.org_page, name="livelihood_public_org"),
    path("public/projects/<int:pk>/", views.project_page, name="livelihood_public_project"),
    path(
        "public/projects/<int:pk>/follow/",
        views.follow,
        name="livelihood_public_follow",
    ),
    path("public/surveys/<int:pk>/", views.survey_answer, name="livelihood_public_survey"),
    path("public/propose/", views.propose, name="livelihood_public_propose"),
    path("public/mine/", views.mine, name="livelihood_public_mine"),
    path(
        "photos/<int:pk>/<str:size>/",
        views.photo_file,
        name="livelihood_photo",
    ),
]
