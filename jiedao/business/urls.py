from django.urls import path
from django.views.generic import RedirectView

from jiedao.business import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="business_dashboard"), name="business_home"),
    path("dashboard/", views.dashboard, name="business_dashboard"),
    path("buildings/", views.building_list, name="business_buildings"),
    path("buildings/<int:pk>/", views.building_detail, name="business_building"),
    path("buildings/<int:pk>/profile/", views.building_profile, name="business_building_profile"),
    path("buildings/<int:pk>/visits/", views.liaison_visit, name="business_liaison_visit"),
    path("buildings/<int:pk>/vacancies/", views.vacancy_create, name="business_vacancy_create"),
    path("buildings/<int:pk>/viewings/", views.viewing_book, name="business_viewing_book"),
    path(
        "visits/<int:pk>/issues/<int:n>/request/",
        views.issue_request,
        name="business_issue_request",
    ),
    path("viewings/", views.viewing_list, name="business_viewings"),
    path("viewings/<int:pk>/outcome/", views.viewing_outcome, name="business_viewing_outcome"),
    path("vacancies/", views.vacancy_list, name="business_vacancies"),
    path("enterprises/", views.enterprise_list, name="business_enterprises"),
    path("enterprises/search/", views.enterprise_search, name="business_enterprise_search"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="business_enterprise"),
    path(
        "enterprises/<int:pk>/profile/",
        views.enterprise_profile,
        name="business_enterprise_profile",
    ),
    path("councils/", views.council_list, name="business_councils"),
    path("councils/<int:pk>/", views.council_detail, name="business_council"),
    path("councils/<int:pk>/members/", views.council_member_add, name="business_council_member"),
    path("councils/<int:pk>/meetings/", views.meeting_record, name="business_meeting_record"),
    path("actions/", views.action_list, name="business_actions"),
    path("actions/<int:pk>/move/", views.action_move, name="business_action_move"),
    path("requests/", views.request_list, name="business_requests"),
    path("requests/<int:pk>/", views.request_detail, name="business_request"),
    path(
        "requests/<int:pk>/transition/",
        views.request_transition,
        name="business_request_transition",
    ),
    path("requests/<int:pk>/assign/", views.request_assign, name="business_request_assign"),
    path("requests/<int:pk>/rate/", views.request_rate, name="business_request_rate"),
    path("liaison/", views.liaison_list, name="business_liaison"),
    path("policies/", views.policy_list, name="business_policies"),
    path("policies/<int:pk>/", views.policy_detail, name="business_policy"),
]
