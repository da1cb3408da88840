from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from platformhub.admin_versioning import VersionedAdminMixin
from sprints.models import (
    ActionItem,
    Board,
    Cadence,
    Card,
    Meeting,
    MeetingSeries,
    Milestone,
    Project,
    RosterEntry,
    Sprint,
    SprintGoal,
)


@admin.register(Cadence)
class CadenceAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["length_days", "first_start"]


@admin.register(Sprint)
class SprintAdmin(SimpleHistoryAdmin):
    list_display = ["name", "start", "end", "planning_date", "closed_at"]


@admin.register(RosterEntry)
class RosterEntryAdmin(SimpleHistoryAdmin):
    list_display = ["sprint", "team", "person"]
    list_filter = ["sprint", "team"]


class MilestoneInline(VersionedAdminMixin, admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "team", "archived"]
    inlines = [MilestoneInline]


@admin.register(SprintGoal)
class SprintGoalAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "sprint", "team", "outcome"]
    list_filter = ["sprint", "team", "outcome"]


@admin.register(Card)
class CardAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "team", "column", "carry_overs"]
    list_filter = ["team", "column"]
    search_fields = ["title"]


@admin.register(Board)
class BoardAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["team", "wip_limits"]


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "team", "kind", "weekdays"]


@admin.register(Meeting)
class MeetingAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["series", "date"]
    list_filter = ["series"]


@admin.register(ActionItem)
class ActionItemAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "series", "owner", "due_date", "done_at"]
    list_filter = ["series"]
