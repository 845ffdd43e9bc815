from django.urls import path

from . import views

app_name = "video_ringtone"

urlpatterns = [
    path("", views.home, name="home"),
    path("themes/<int:pk>/delete/", views.theme_delete, name="theme_delete"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
    path("enterprise/", views.enterprise, name="enterprise"),
    path(
        "enterprise/ringtones/<int:pk>/assign/", views.enterprise_assign, name="enterprise_assign"
    ),
    path(
        "enterprise/employees/<int:pk>/remove/",
        views.enterprise_employee_remove,
        name="enterprise_employee_remove",
    ),
    path("m/", views.m_home, name="m_home"),
    path("m/drafts/new/", views.m_draft_create, name="m_draft_create"),
    path("m/drafts/<int:pk>/", views.m_draft, name="m_draft"),
    path("m/drafts/<int:pk>/status/", views.m_draft_status, name="m_draft_status"),
    path("m/drafts/<int:pk>/photos/", views.m_photo_add, name="m_photo_add"),
    path(
        "m/drafts/<int:pk>/photos/<int:photo_pk>/delete/",
        views.m_photo_delete,
        name="m_photo_delete",
    ),
    path("m/drafts/<int:pk>/candidates/", views.m_candidates, name="m_candidates"),
    path("m/drafts/<int:pk>/captions/", views.m_captions, name="m_captions"),
    path("m/drafts/<int:pk>/scenes/", views.m_scene_add, name="m_scene_add"),
    path("m/drafts/<int:pk>/scenes/<int:scene_pk>/", views.m_scene, name="m_scene"),
    path("m/drafts/<int:pk>/render/", views.m_render, name="m_render"),
    path("m/drafts/<int:pk>/submit/", views.m_submit, name="m_submit"),
    path("m/ringtones/<int:pk>/", views.m_ringtone, name="m_ringtone"),
    path("m/ringtones/<int:pk>/set/", views.m_assign, name="m_assign"),
    path("m/assignments/<uuid:pk>/remove/", views.m_unassign, name="m_unassign"),
    path("m/gallery/", views.m_gallery, name="m_gallery"),
    path("m/gallery/<int:pk>/", views.m_gallery_item, name="m_gallery_item"),
    path("m/gallery/<int:pk>/like/", views.m_like, name="m_like"),
    path("m/gallery/<int:pk>/comment/", views.m_comment, name="m_comment"),
    path("m/gallery/<int:pk>/set/", views.m_gallery_set, name="m_gallery_set"),
    path("m/gallery/<int:pk>/copy/", views.m_copy, name="m_copy"),
    path("files/candidates/<int:pk>/", views.candidate_file, name="candidate_file"),
    path("files/renders/<uuid:pk>/<str:kind>/", views.render_file, name="render_file"),
]
