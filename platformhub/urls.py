from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from platformhub import bench_views, history_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<slug:slug>/dashboard/", views.dashboard, name="team_dashboard"),
    path("integrations/", include("integrations.urls")),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:slug>/about/edit/", views.team_about_edit, name="team_about_edit"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("history/<slug:kind>/<int:pk>/", history_views.object_history, name="history"),
    path("history/<slug:kind>/<int:pk>/restore/", history_views.object_restore, name="history_restore"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("okrs.urls")),
    path("", include("sprints.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCHMARK_ROUTES:
    urlpatterns.append(path("bench/fortunes/", bench_views.fortunes, name="bench_fortunes"))
