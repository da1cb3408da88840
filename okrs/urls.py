from django.urls import path, register_converter

from okrs import roadmap_views, views


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

urlpatterns += [
    path("roadmap/", roadmap_views.roadmap, name="roadmap"),
    path("roadmap/shared/<str:token>/", roadmap_views.shared_roadmap, name="shared_roadmap"),
    path("roadmap/share-links/<int:pk>/revoke/", roadmap_views.share_link_revoke, name="share_link_revoke"),
    path("roadmap/items/<int:pk>/edit/", roadmap_views.item_edit, name="roadmap_item_edit"),
    path("roadmap/items/<int:pk>/delete/", roadmap_views.item_delete, name="roadmap_item_delete"),
    path("roadmap/items/<int:pk>/move/", roadmap_views.item_move, name="roadmap_item_move"),
    path("roadmap/items/<int:pk>/link/", roadmap_views.item_link, name="roadmap_item_link"),
    path(
        "roadmap/items/<int:pk>/link-objective/", roadmap_views.item_link_objective, name="roadmap_item_link_objective"
    ),
    path(
        "roadmap/items/<int:pk>/unlink-objective/<int:objective_pk>/",
        roadmap_views.item_unlink_objective,
        name="roadmap_item_unlink_objective",
    ),
    path(
        "roadmap/items/<int:pk>/unlink/<int:key_result_pk>/",
        roadmap_views.item_unlink,
        name="roadmap_item_unlink",
    ),
    path("teams/<slug:slug>/roadmap/", roadmap_views.team_roadmap, name="team_roadmap"),
    path("teams/<slug:slug>/roadmap/items/new/", roadmap_views.item_create, name="roadmap_item_create"),
    path("teams/<slug:slug>/roadmap/horizons/new/", roadmap_views.horizon_create, name="horizon_create"),
    path("teams/<slug:slug>/roadmap/changes/", roadmap_views.roadmap_changes, name="roadmap_changes"),
    path("teams/<slug:slug>/roadmap/snapshots/", roadmap_views.snapshot_create, name="snapshot_create"),
    path("teams/<slug:slug>/roadmap/share/", roadmap_views.share_links, name="share_links"),
]
