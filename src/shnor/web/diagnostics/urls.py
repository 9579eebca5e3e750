"""Teacher diagnostics URLs."""

from django.urls import path

from shnor.web.diagnostics import views

app_name = "diagnostics"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.competence_import, name="import"),
    path("import/template.csv", views.import_template, name="template"),
    path("courses/", views.courses, name="courses"),
    path("teachers/add/", views.teacher_add, name="teacher_add"),
    path("teachers/<int:pk>/", views.teacher_detail, name="teacher"),
    path("teachers/<int:pk>/route/", views.route_new, name="route_new"),
    path("teachers/<int:pk>/link/", views.teacher_link, name="teacher_link"),
    path("routes/<int:pk>/add/", views.enrolment_new, name="enrolment_new"),
    path("enrolments/<int:pk>/status/", views.enrolment_status, name="enrolment_status"),
]
