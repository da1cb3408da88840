from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from okrs.models import CheckIn, KeyResult, Objective, Period, TeamPeriod
from platformhub.admin_versioning import VersionedAdminMixin
from platformhub.forms import DecimalField

# The same 15-digit limit as the app's forms: SQLite keeps no more.
DECIMALS = {models.DecimalField: {"form_class": DecimalField}}


@admin.register(Period)
class PeriodAdmin(SimpleHistoryAdmin):
    list_display = ["name", "start", "end"]


@admin.register(TeamPeriod)
class TeamPeriodAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["team", "period", "closed_at", "closed_by"]
    list_filter = ["period", "team"]


class KeyResultInline(VersionedAdminMixin, admin.TabularInline):
    model = KeyResult
    extra = 0
    formfield_overrides = DECIMALS
    fields = ["title", "kind", "start_value", "target_value", "current_value", "unit", "due_date", "order"]


@admin.register(Objective)
class ObjectiveAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "team", "period", "order", "archived"]
    list_filter = ["period", "team", "archived"]
    search_fields = ["title"]
    autocomplete_fields = ["owners", "parent", "team"]
    inlines = [KeyResultInline]


@admin.register(KeyResult)
class KeyResultAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "objective", "kind", "current_value", "target_value", "confidence", "last_check_in_at"]
    list_filter = ["kind", "objective__period", "objective__team"]
    search_fields = ["title"]
    autocomplete_fields = ["owners", "objective"]
    formfield_overrides = DECIMALS


@admin.register(CheckIn)
class CheckInAdmin(SimpleHistoryAdmin):
    list_display = ["key_result", "author", "value", "done", "confidence", "created_at"]
    list_filter = ["confidence"]
    autocomplete_fields = ["key_result", "author"]
    formfield_overrides = DECIMALS
