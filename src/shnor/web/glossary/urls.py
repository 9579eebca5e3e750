"""URL of the glossary (``/glossary/``)."""

from django.urls import path

from shnor.web.glossary import views

app_name = "glossary"

urlpatterns = [
    path("", views.index, name="index"),
]
