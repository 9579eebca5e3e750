"""Report requests and the quarterly report."""

from django.urls import path

from shnor.web.submissions import views

app_name = "submissions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.request_new, name="new"),
    path("notices/read/", views.notices_read, name="notices_read"),
    path("<int:pk>/", views.request_detail, name="request"),
    path("<int:pk>/combined.docx", views.combined, name="combined"),
    path("parts/<int:pk>/", views.part, name="part"),
    path("parts/<int:pk>/review/", views.review, name="review"),
    path("parts/<int:pk>/<str:which>/", views.part_file, name="part_file"),
    path("quarterly/", views.quarterly, name="quarterly"),
    path("quarterly/<int:pk>/", views.quarterly_job, name="quarterly_job"),
    path("quarterly/<int:pk>/<str:fmt>/", views.quarterly_file, name="quarterly_file"),
]
