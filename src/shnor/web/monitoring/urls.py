"""Monitoring URLs: indicators, effectiveness, websites, reports."""

from django.urls import path

from shnor.web.monitoring import method_cards, views

app_name = "monitoring"
urlpatterns = [
    path("", views.indicators, name="indicators"),
    path("indicators/enter/", views.indicator_enter, name="indicator_enter"),
    path("effectiveness/", views.effectiveness_list, name="effectiveness"),
    path("effectiveness/<int:pk>/", views.effectiveness_detail, name="effectiveness_detail"),
    path("sites/", views.sites, name="sites"),
    path("sites/schools/<str:school_id>/", views.site_school, name="site_school"),
    path("sites/municipalities/<int:pk>/", views.site_municipality, name="site_municipality"),
    path("reports/", views.reports, name="reports"),
    path("reports/<str:identifier>/", views.report_download, name="report"),
    path("reports/jobs/<int:pk>/", views.report_job, name="report_job"),
    path("reports/jobs/<int:pk>/file/", views.report_job_file, name="report_job_file"),
    path("methods/", method_cards.method_cards, name="method_cards"),
    path("methods/<str:code>/", method_cards.method_card, name="method_card"),
]
