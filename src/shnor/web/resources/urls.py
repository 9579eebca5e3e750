"""URLs of the needs register and targeted support (``/resources/``)."""

from django.urls import path

from shnor.web.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("upload/", views.upload, name="upload"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("schools/<str:school_id>/staff/", views.staff_add, name="staff_add"),
    path("schools/<str:school_id>/equipment/", views.equipment_add, name="equipment_add"),
    path("schools/<str:school_id>/decisions/", views.decision_add, name="decision_add"),
    path("schools/<str:school_id>/young/", views.young_add, name="young_add"),
    path("needs/<str:kind>/<int:pk>/delete/", views.need_delete, name="need_delete"),
    path("decisions/<int:pk>/status/", views.decision_status, name="decision_status"),
    path("decisions/<int:pk>/executions/", views.execution_add, name="execution_add"),
    path("executions/<int:pk>/file/", views.execution_file, name="execution_file"),
]
