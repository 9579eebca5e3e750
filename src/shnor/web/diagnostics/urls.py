"""Teacher diagnostics URLs."""

from django.urls import path

from shnor.web.diagnostics import people_views as people
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
    path("people/", people.index, name="people"),
    path("people/export.xlsx", people.export, name="people_export"),
    path("people/internships/", people.internships, name="internships"),
    path("people/internships/<int:pk>/", people.internship_detail, name="internship"),
    path("people/mentoring/", people.pairs, name="pairs"),
    path("people/mentoring/<int:pk>/", people.pair_detail, name="pair"),
    path("people/mentoring/<int:pk>/meeting/", people.pair_meeting, name="pair_meeting"),
    path("people/mentoring/<int:pk>/result/", people.pair_result, name="pair_result"),
    path("people/reserve/", people.reserve, name="reserve"),
    path("people/reserve/<int:pk>/status/", people.reserve_status, name="reserve_status"),
    path("people/competitions/", people.competitions, name="competitions"),
    path("people/competitions/<int:pk>/", people.competition_detail, name="competition"),
    path("people/entries/<int:pk>/result/", people.entry_result, name="entry_result"),
    path("people/entries/<int:pk>/file/", people.entry_file, name="entry_file"),
    path("people/schools/<str:school_id>/", people.school_section, name="people_school"),
]
