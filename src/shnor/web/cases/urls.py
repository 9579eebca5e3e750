"""URLs of objectivity cases (``/cases/``)."""

from django.urls import path

from shnor.web.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.open_cases, name="open"),
    path("rechecks/", views.recheck_upload, name="recheck_upload"),
    path("sample/", views.sample, name="sample"),
    path("<int:pk>/", views.case, name="case"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/appeal/", views.appeal, name="appeal"),
    path("<int:pk>/controlled/", views.controlled, name="controlled"),
    path("<int:pk>/dossier.<str:fmt>", views.dossier, name="dossier"),
    path("<int:pk>/dossier/<int:job>/", views.dossier_job, name="dossier_job"),
    path("answers/<int:pk>/file/", views.answer_file, name="answer_file"),
]
