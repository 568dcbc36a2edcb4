from django.urls import path

from jiedao.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("places/compounds/", views.compound_list, name="compound_list"),
    path("places/compounds/<int:pk>/", views.compound_detail, name="compound_detail"),
    path("places/buildings/", views.building_list, name="building_list"),
    path("places/buildings/<int:pk>/", views.building_detail, name="building_detail"),
    path("org/", views.org_tree, name="org_tree"),
    path("org/geojson/", views.org_geojson, name="org_geojson"),
    path("imports/", views.import_new, name="import_new"),
    path("imports/template/<slug:kind>/", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("audit/", views.audit_list, name="audit_list"),
    path("report/", views.report_card_home, name="report_card"),
    path("report/<slug:code>/", views.report_card, name="report_card_org"),
]

urlpatterns += [
    path("notifications/", views.notifications, name="notifications"),
]
