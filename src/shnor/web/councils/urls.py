"""URLs of working groups and councils (``/councils/``)."""

from django.urls import path

from shnor.web.councils import views

app_name = "councils"

urlpatterns = [
    path("", views.index, name="index"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/status/", views.task_status, name="task_status"),
    path("<int:pk>/", views.group, name="group"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("members/<int:pk>/leave/", views.member_leave, name="member_leave"),
    path("<int:pk>/meetings/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:pk>/protocol.docx", views.protocol, name="protocol"),
    path("items/<int:pk>/", views.item_save, name="item"),
    path("items/<int:pk>/task/", views.task_new, name="task_new"),
    path("items/<int:pk>/roadmaps/", views.to_roadmaps, name="roadmaps"),
]
