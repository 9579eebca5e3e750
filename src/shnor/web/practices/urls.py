"""URLs of the bank of practices (``/practices/``)."""

from django.urls import path

from shnor.web.practices import views

app_name = "practices"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("moderation/", views.moderation, name="moderation"),
    path("export.xlsx", views.export, name="export"),
    path("<int:pk>/", views.practice, name="practice"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/moderate/", views.moderate, name="moderate"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/files/", views.file_add, name="file_add"),
    path("<int:pk>/adopt/", views.adopt, name="adopt"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
    path("adoptions/<int:pk>/delete/", views.unadopt, name="unadopt"),
]
