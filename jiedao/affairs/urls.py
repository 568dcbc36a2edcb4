from django.urls import path

from jiedao.affairs import views

urlpatterns = [
    path("", views.desk, name="affairs_desk"),
    path("desk/queue/", views.desk_queue, name="affairs_desk_queue"),
    path("desk/item-fields/", views.item_fields, name="affairs_item_fields"),
    path("desk/applicants/", views.applicant_search, name="affairs_applicant_search"),
    path("tickets/", views.ticket_list, name="affairs_ticket_list"),
    path("tickets/<int:pk>/", views.ticket_detail, name="affairs_ticket_detail"),
    path("tickets/<int:pk>/take/", views.ticket_take, name="affairs_ticket_take"),
    path("tickets/<int:pk>/transition/", views.ticket_transition, name="affairs_ticket_transition"),
    path("tickets/<int:pk>/trips/", views.trip_create, name="affairs_trip_create"),
    path(
        "tickets/<int:pk>/return-visit/",
        views.return_visit_create,
        name="affairs_return_visit_create",
    ),
    path("door/", views.door_list, name="affairs_door_list"),
    path("door/mine/", views.door_mine, name="affairs_door_mine"),
    path("door/<int:pk>/schedule/", views.door_schedule, name="affairs_door_schedule"),
    path("door/<int:pk>/visit/", views.door_visit, name="affairs_door_visit"),
    path("return-visits/", views.return_visits, name="affairs_return_visits"),
    path("dashboard/", views.dashboard, name="affairs_dashboard"),
]
