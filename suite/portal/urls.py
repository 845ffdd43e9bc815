from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("switch-tenant/", views.switch_tenant, name="switch_tenant"),
    path("admin/members/", views.members, name="members"),
    path("admin/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invitations/", views.invitations, name="invitations"),
    path(
        "invitations/<int:pk>/<str:answer>/",
        views.invitation_answer,
        name="invitation_answer",
    ),
    path("admin/api-keys/", views.api_keys, name="api_keys"),
    path("admin/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("admin/api-keys/<int:pk>/limits/", views.api_key_limits, name="api_key_limits"),
    path("admin/audit/", views.audit_log, name="audit_log"),
    path("admin/audit/export/", views.audit_export, name="audit_export"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<uuid:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<uuid:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:pk>/retry/", views.job_retry_view, name="job_retry"),
    path("m/login/", views.subscriber_login, name="subscriber_login"),
    path("m/", views.subscriber_home, name="subscriber_home"),
]
