from django.urls import path

from sprints import views

app_name = "sprints"
urlpatterns = [
    path("teams/<slug:slug>/board/", views.board, name="board"),
    path("teams/<slug:slug>/board/cards/new/", views.card_create, name="card_create"),
    path("cards/<int:pk>/move/", views.card_move, name="card_move"),
    path("cards/<int:pk>/take/", views.card_take, name="card_take"),
    path("teams/<slug:slug>/projects/", views.projects, name="projects"),
    path("projects/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path("milestones/<int:pk>/progress/", views.milestone_progress, name="milestone_progress"),
    path("sprints/", views.sprint_current, name="current"),
    path("sprints/<int:number>/", views.sprint_detail, name="sprint"),
    path("sprints/<int:number>/close/", views.sprint_close, name="close"),
    path("sprints/<int:number>/report/", views.sprint_report, name="report"),
    path("sprints/<int:number>/teams/<slug:slug>/goals/", views.goal_create, name="goal_create"),
    path("goals/<int:pk>/outcome/", views.goal_outcome, name="goal_outcome"),
    path("sprints/<int:number>/teams/<slug:slug>/roster/", views.roster_update, name="roster_update"),
]
