"""URLs of events (``/events/``)."""

from django.urls import path

from shnor.web.events import views

app_name = "events"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/participants/", views.participant_add, name="participant_add"),
    path("participants/<int:pk>/delete/", views.participant_remove, name="participant_remove"),
    path("<int:pk>/materials/", views.material_add, name="material_add"),
    path("materials/<int:pk>/", views.material, name="material"),
    path("<int:pk>/import/", views.import_upload, name="import"),
    path("<int:pk>/import/<slug:token>/", views.import_resolve, name="import_resolve"),
]
