from django.urls import URLPattern, path

from jiedao.hotline import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="hotline_home"),
    path("orders/", views.order_list, name="hotline_orders"),
    path("orders/new/", views.order_create, name="hotline_order_create"),
    path("orders/<int:pk>/", views.order_detail, name="hotline_order"),
    path("orders/<int:pk>/dispatch/", views.order_dispatch, name="hotline_order_dispatch"),
    path("orders/<int:pk>/move/", views.order_move, name="hotline_order_move"),
    path("orders/<int:pk>/contact/", views.order_contact, name="hotline_order_contact"),
    path("orders/<int:pk>/reply/", views.order_reply, name="hotline_order_reply"),
    path("orders/<int:pk>/visit/", views.order_visit, name="hotline_order_visit"),
    path("orders/<int:pk>/merge/", views.order_merge, name="hotline_order_merge"),
    path("orders/<int:pk>/review/", views.review_request, name="hotline_review_request"),
    path("orders/<int:pk>/reveal/", views.order_reveal, name="hotline_order_reveal"),
    path("reviews/", views.review_list, name="hotline_reviews"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="hotline_review_decide"),
    path("dashboard/", views.dashboard, name="hotline_dashboard"),
    path("ranking/", views.ranking, name="hotline_ranking"),
    path("categories/", views.category_list, name="hotline_categories"),
]
