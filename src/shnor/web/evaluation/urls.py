"""URLs of external evaluation (``/evaluation/``)."""

from django.urls import path

from shnor.web.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("schools/<str:school_id>/", views.school, name="school"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/conclude/", views.conclude, name="conclude"),
    path("<int:pk>/roadmap/", views.to_roadmap, name="roadmap"),
    path("<int:pk>/conclusion.<str:fmt>", views.export, name="export"),
]
