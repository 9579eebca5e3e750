"""URLs of interviews with management teams (``/interviews/``)."""

from django.urls import path

from shnor.web.interviews import views

app_name = "interviews"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/corrections/", views.propose, name="propose"),
    path("corrections/<int:pk>/revise/", views.revise, name="revise"),
    path("corrections/<int:pk>/<str:action>/", views.act, name="act"),
]
