"""URL configuration: accounts, lists and dashboards, imports, the REST API and the admin; Russian error
pages."""

from django.contrib import admin
from django.urls import include, path

from shnor.web.accounts import views as account_views
from shnor.web.api.views import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("shnor.web.accounts.urls")),
    path("", include("shnor.web.identification.urls")),
    path("imports/", include("shnor.web.assessments.urls")),
    path("support/", include("shnor.web.support.urls")),
    path("jobs/", include("shnor.web.jobs.urls")),
    path("diagnostics/", include("shnor.web.diagnostics.urls")),
    path("cases/", include("shnor.web.cases.urls")),
    path("practices/", include("shnor.web.practices.urls")),
    path("resources/", include("shnor.web.resources.urls")),
    path("evaluation/", include("shnor.web.evaluation.urls")),
    path("events/", include("shnor.web.events.urls")),
    path("submissions/", include("shnor.web.submissions.urls")),
    path("monitoring/", include("shnor.web.monitoring.urls")),
    path("glossary/", include("shnor.web.glossary.urls")),
    path("settings/", include("shnor.web.regionconf.urls")),
    path("interviews/", include("shnor.web.interviews.urls")),
    path("councils/", include("shnor.web.councils.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Russian error pages with the menu (shnor/web/errors.py); a malformed parameter is a 400 naming it
handler400 = "shnor.web.errors.bad_request"
handler403 = "shnor.web.errors.permission_denied"
handler404 = "shnor.web.errors.page_not_found"
handler500 = "shnor.web.errors.server_error"
