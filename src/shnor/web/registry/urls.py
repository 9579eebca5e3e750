"""Registry URLs."""

from django.urls import path

from shnor.web.registry import views

app_name = "registry"
urlpatterns = [
    path("schools/", views.schools, name="schools"),
    path("regions/<int:pk>/", views.region, name="region"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
]
