"""Identification URLs."""

from django.urls import path

from shnor.web.identification import decision_views, deficit_pdf, list_export_job, views

app_name = "identification"
urlpatterns = [
    path("lists/decisions/", decision_views.decisions_index, name="decisions"),
    path("lists/decisions/<int:year>/order.docx", decision_views.decision_order, name="decision_order"),
    path("lists/decisions/<str:kind>/<int:year>/", decision_views.decision, name="decision"),
    path(
        "lists/decisions/<str:kind>/<int:year>/<str:action>/",
        decision_views.decision_act,
        name="decision_act",
    ),
    path("lists/<str:kind>/", views.list_view, name="list"),
    path("lists/<str:kind>/export.xlsx", views.list_export, name="export"),
    path("lists/<str:kind>/export/<int:pk>/", list_export_job.export_job_page, name="export_job"),
    path("runs/", views.runs, name="runs"),
    path("schools/", views.schools, name="schools"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("schools/<str:school_id>/track/", views.school_track, name="school_track"),
    path("schools/<str:school_id>/deficits.<str:fmt>", views.school_deficit_report, name="deficit_report"),
    path(
        "schools/<str:school_id>/deficits/<int:pk>/", deficit_pdf.deficit_pdf_job_page, name="deficit_pdf_job"
    ),
    path("regions/<int:pk>/", views.region, name="region"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
]
