from django.urls import path

from jiedao.renewal import views

urlpatterns = [
    path("", views.project_list, name="renewal_projects"),
    path("projects/<int:pk>/", views.project_detail, name="renewal_project"),
    path("projects/<int:pk>/phase/", views.project_phase, name="renewal_project_phase"),
    path("households/", views.household_list, name="renewal_households"),
    path("households/<int:pk>/", views.household_detail, name="renewal_household"),
    path("households/<int:pk>/visit/", views.visit_create, name="renewal_visit"),
]
