"""Registry URLs."""

from django.urls import path

from shnor.web.registry import views

app_name = "registry"
urlpatterns = [
    path("schools/", views.schools, name="schools"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("schools/<str:school_id>/deficits.<str:fmt>", views.school_deficit_report, name="deficit_report"),
    path("regions/<int:pk>/", views.region, name="region"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
]
