"""Identification URLs."""

from django.urls import path

from shnor.web.identification import views

app_name = "identification"
urlpatterns = [
    path("lists/<str:kind>/", views.list_view, name="list"),
    path("lists/<str:kind>/export.xlsx", views.list_export, name="export"),
    path("runs/", views.runs, name="runs"),
    path("schools/", views.schools, name="schools"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("schools/<str:school_id>/deficits.<str:fmt>", views.school_deficit_report, name="deficit_report"),
    path("regions/<int:pk>/", views.region, name="region"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
]
