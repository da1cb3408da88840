from django.urls import path, register_converter

from okrs import views


class PeriodConverter:
    regex = r"\d{4}-q[1-4]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PeriodConverter, "period")

app_name = "okrs"
urlpatterns = [
    path("okrs/", views.overview, name="overview"),
    path("teams/<slug:slug>/okrs/", views.team_okrs_current, name="team_okrs_current"),
    path("teams/<slug:slug>/okrs/<period:period>/", views.team_okrs, name="team_okrs"),
    path("teams/<slug:slug>/okrs/<period:period>/objectives/new/", views.objective_create, name="objective_create"),
    path("teams/<slug:slug>/okrs/<period:period>/open-next/", views.period_open_next, name="period_open_next"),
    path("teams/<slug:slug>/okrs/<period:period>/close/", views.period_close, name="period_close"),
    path("teams/<slug:slug>/okrs/<period:period>/reopen/", views.period_reopen, name="period_reopen"),
    path("objectives/<int:pk>/", views.objective_card, name="objective_card"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/delete/", views.objective_delete, name="objective_delete"),
    path("objectives/<int:pk>/move/", views.objective_move, name="objective_move"),
    path("objectives/<int:objective_pk>/key-results/new/", views.key_result_create, name="key_result_create"),
    path("key-results/<int:pk>/", views.key_result_detail, name="key_result_detail"),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key_result_edit"),
    path("key-results/<int:pk>/delete/", views.key_result_delete, name="key_result_delete"),
    path("key-results/<int:pk>/move/", views.key_result_move, name="key_result_move"),
    path("key-results/<int:pk>/check-in/", views.check_in, name="check_in"),
]
