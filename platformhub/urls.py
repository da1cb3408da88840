from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from platformhub import views

urlpatterns = [
    path("", views.home, name="home"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:slug>/about/edit/", views.team_about_edit, name="team_about_edit"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("okrs.urls")),
    path("admin/", admin.site.urls),
]
