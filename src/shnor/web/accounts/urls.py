"""Accounts URLs."""

from django.contrib.auth import views as auth_views
from django.urls import path

from shnor.web.accounts import views
from shnor.web.accounts.users_views import user_urls

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit, name="audit"),
    *user_urls(),  # user management, invitations, password reset
]
