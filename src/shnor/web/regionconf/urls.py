"""URLs of the region's settings (``/settings/``)."""

from django.urls import path

from shnor.web.regionconf import views

app_name = "regionconf"

urlpatterns = [
    path("", views.index, name="index"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/add/", views.indicator_add, name="indicator_add"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/import/", views.template_import, name="template_import"),
    path("templates/<str:key>/", views.template_edit, name="template"),
    path("questionnaire/", views.questionnaire, name="questionnaire"),
    path("history/<str:kind>/<str:key>/", views.history, name="history"),
    path("versions/<int:pk>/", views.version, name="version"),
    path("versions/<int:pk>/restore/", views.version_restore, name="version_restore"),
]
