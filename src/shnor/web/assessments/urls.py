"""Browser import URLs."""

from django.urls import path

from shnor.web.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("report/<str:name>", views.import_report, name="report"),
    path("replace/<int:job>", views.import_replace, name="replace"),
    path("versions/<int:pk>/restore", views.version_restore, name="restore"),
]
