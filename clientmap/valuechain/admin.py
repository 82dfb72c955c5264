"""The record of customers told about a failure: visible in the admin, never edited there."""

from django.contrib import admin

from clientmap.valuechain.models import Alert, ImpactNotice


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
