"""Support URLs (roadmaps, activities, partners, risk profiles, notices)."""

from django.urls import path

from shnor.web.support import bulk_views, lifecycle_views, views

app_name = "support"
urlpatterns = [
    path("", views.index, name="index"),
    path("roadmaps/new/", views.roadmap_new, name="roadmap_new"),
    path("roadmaps/bulk/", bulk_views.roadmaps_bulk, name="roadmaps_bulk"),
    path("roadmaps/bulk/jobs/<int:pk>/", bulk_views.roadmaps_bulk_job, name="roadmaps_bulk_job"),
    path("roadmaps/<int:pk>/", views.roadmap_detail, name="roadmap"),
    path("roadmaps/<int:pk>/export.<str:fmt>", views.roadmap_export, name="roadmap_export"),
    path(
        "roadmaps/<int:pk>/lifecycle/<str:action>/",
        lifecycle_views.roadmap_transition,
        name="roadmap_transition",
    ),
    path("roadmaps/<int:pk>/changes/", lifecycle_views.roadmap_changes, name="roadmap_changes"),
    path("roadmaps/<int:pk>/order.docx", lifecycle_views.roadmap_order, name="roadmap_order"),
    path("roadmaps/<int:pk>/activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("schools/<str:school_id>/", views.school_support, name="school"),
    path("schools/<str:school_id>/survey/", views.survey_open, name="survey_open"),
    path("municipalities/<int:pk>/partners/", views.partners, name="partners"),
    path("partners/<int:pk>/", views.partner_detail, name="partner"),
    path("risk/<int:pk>/", views.survey_detail, name="survey"),
    path("risk/<int:pk>/fill/<str:group>/", views.survey_fill, name="survey_fill"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("notices/", views.notices, name="notices"),
]
