"""The record of customers told about a failure, and the reach sets: visible in the admin, never
edited there."""

from django.contrib import admin

from clientmap.core.admin import ReadOnlyAdmin
from clientmap.valuechain.models import (
    Alert,
    ImpactNotice,
    ReachSet,
    ReachSetLanguage,
    ReachSetPerson,
    ReachSetTeam,
)


@admin.register(ImpactNotice)
class ImpactNoticeAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "service_key", "alert_key", "person", "email", "language", "subject"]
    list_filter = ["language"]
    search_fields = ["service_key", "alert_key", "email", "person__key", "person__name", "subject"]
    list_select_related = ["person"]
    date_hierarchy = "sent_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["time", "key", "component", "service", "severity", "text"]
    list_filter = ["severity"]
    search_fields = ["key", "component", "text"]
    list_select_related = ["service"]
    date_hierarchy = "time"
    autocomplete_fields = ["service"]


class _DerivedAdmin(ReadOnlyAdmin):
    """Derived rows (``valuechain.reachsets``): shown, never typed in."""

    show_full_result_count = False


@admin.register(ReachSet)
class ReachSetAdmin(_DerivedAdmin):
    list_display = ["digest", "teams", "relations", "stored", "internal", "external"]
    list_filter = ["stored"]
    search_fields = ["digest"]


@admin.register(ReachSetTeam)
class ReachSetTeamAdmin(_DerivedAdmin):
    list_display = ["reach_set", "team"]
    list_select_related = ["reach_set", "team"]
    raw_id_fields = ["reach_set", "team"]


@admin.register(ReachSetPerson)
class ReachSetPersonAdmin(_DerivedAdmin):
    list_display = ["reach_set", "person", "rank", "active", "has_email", "language"]
    list_select_related = ["reach_set", "person"]
    raw_id_fields = ["reach_set", "person", "team"]


@admin.register(ReachSetLanguage)
class ReachSetLanguageAdmin(_DerivedAdmin):
    list_display = ["reach_set", "language", "recipients", "recipients_all"]
    list_select_related = ["reach_set"]
