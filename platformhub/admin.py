from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from platformhub.admin_versioning import VersionedAdminMixin
from platformhub.models import Membership, Person, Team


class MembershipInline(VersionedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "team")


@admin.register(Team)
class TeamAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "parent", "slack_channel"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["display_name", "title", "timezone", "github_handle", "is_org_viewer"]
    list_filter = ["is_org_viewer"]
    search_fields = ["display_name", "user__username", "github_handle"]
    autocomplete_fields = ["user"]


@admin.register(Membership)
class MembershipAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["person", "team", "role"]
    list_filter = ["role", "team"]
    list_select_related = ["person", "team"]
    autocomplete_fields = ["person", "team"]
