from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("github/webhook", views.github_webhook, name="github_webhook"),
    path("key-results/<int:pk>/issues/", views.link_issues, name="link_issues"),
    path("issue-links/<int:pk>/remove/", views.unlink_issue, name="unlink_issue"),
    path("key-results/<int:pk>/searches/", views.add_saved_search, name="add_saved_search"),
    path("saved-searches/<int:pk>/remove/", views.remove_saved_search, name="remove_saved_search"),
]
