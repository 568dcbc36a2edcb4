"""Staff pages of the livelihood module (民生项目), under /livelihood/."""

from django.urls import path

from jiedao.livelihood import views

urlpatterns = [
    path("", views.overview, name="livelihood_overview"),
    path("dashboard/", views.dashboard, name="livelihood_dashboard"),
    path("projects/", views.project_list, name="livelihood_projects"),
    path("projects/new/", views.project_create, name="livelihood_project_new"),
    path("projects/<int:pk>/", views.project_detail, name="livelihood_project"),
    path("projects/<int:pk>/edit/", views.project_edit, name="livelihood_project_edit"),
    path("projects/<int:pk>/stage/", views.project_stage, name="livelihood_project_stage"),
    path("projects/<int:pk>/approve/", views.project_approve, name="livelihood_project_approve"),
    path("projects/<int:pk>/publish/", views.project_publish, name="livelihood_project_publish"),
    path("projects/<int:pk>/parties/", views.party_add, name="livelihood_party_add"),
    path(
        "projects/<int:pk>/site-surveys/",
        views.site_survey_add,
        name="livelihood_site_survey_add",
    ),
    path("projects/<int:pk>/surveys/new/", views.survey_create, name="livelihood_survey_new"),
    path("projects/<int:pk>/reviews/", views.review_assign, name="livelihood_review_assign"),
    path("projects/<int:pk>/milestones/", views.milestone_add, name="livelihood_milestone_add"),
    path(
        "milestones/<int:pk>/state/",
        views.milestone_state,
        name="livelihood_milestone_state",
    ),
    path("projects/<int:pk>/spending/", views.spending_add, name="livelihood_spending_add"),
    path("projects/<int:pk>/photos/", views.photo_upload, name="livelihood_photo_upload"),
    path(
        "projects/<int:pk>/next-version/",
        views.next_version,
        name="livelihood_next_version",
    ),
    path("surveys/<int:pk>/", views.survey_detail, name="livelihood_survey"),
    path("surveys/<int:pk>/questions/", views.question_add, name="livelihood_question_add"),
    path(
        "questions/<int:pk>/delete/",
        views.question_delete,
        name="livelihood_question_delete",
    ),
    path("surveys/<int:pk>/open/", views.survey_open, name="livelihood_survey_open"),
    path("surveys/<int:pk>/close/", views.survey_close, name="livelihood_survey_close"),
    path("surveys/<int:pk>/paper/", views.paper_entry, name="livelihood_paper_entry"),
    path("answers/<int:pk>/publish/", views.answer_publish, name="livelihood_answer_publish"),
    path("reviews/", views.review_desk, name="livelihood_reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="livelihood_review"),
    path("funds/", views.fund_list, name="livelihood_funds"),
    path("funds/new/", views.fund_save, name="livelihood_fund_new"),
    path("funds/<int:pk>/", views.fund_detail, name="livelihood_fund"),
]
