"""Job URLs."""

from django.urls import path

from shnor.web.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/status.json", views.job_status, name="status"),
    path("run/", views.run_start, name="run_start"),
]
