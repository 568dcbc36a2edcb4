from __future__ import annotations

from django.urls import path

from jiedao.evaluations import views

urlpatterns = [
    path("", views.dashboard, name="evaluations_dashboard"),
    path("list/", views.evaluation_list, name="evaluations_list"),
    path("bad/", views.bad_list, name="evaluations_bad"),
    path("appeals/", views.appeal_list, name="evaluations_appeals"),
    path("<int:pk>/", views.evaluation_detail, name="evaluations_detail"),
    path("pad/", views.pad, name="evaluations_pad"),
    path("link/", views.link_issue, name="evaluations_link"),
    path("enter/", views.enter, name="evaluations_enter"),
    path("rate/<str:token>/", views.rate, name="evaluations_rate"),
    path("mine/", views.mine, name="evaluations_mine"),
    path("mine/<str:kind>/<int:pk>/", views.mine_rate, name="evaluations_mine_rate"),
]
