from django.contrib import admin

from clientmap.core.admin import ReadOnlyAdmin
from clientmap.experience.models import SatisfactionRow, Survey, Touchpoint


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["day", "kind", "person", "team", "score", "derived", "key"]
    list_filter = ["kind", "derived"]
    search_fields = ["key", "person__key", "person__name", "comment"]
    list_select_related = ["person", "team"]
    autocomplete_fields = ["person", "team", "service", "request"]
    raw_id_fields = ["notice"]
    readonly_fields = ["derived", "recorded_by"]
    show_full_result_count = False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "person", "team", "request", "reason", "answered_at", "reminded_at"]
    list_filter = ["reason"]
    search_fields = ["person__key", "person__name", "request__key"]
    list_select_related = ["person", "team", "request"]
    raw_id_fields = ["person", "team", "service", "request", "answer", "sent_by"]
    readonly_fields = ["answered_at", "answer"]
    show_full_result_count = False


@admin.register(SatisfactionRow)
class SatisfactionRowAdmin(ReadOnlyAdmin):
    """A derived table (``experience.store``): read-only, rebuilt from the touchpoints."""

    list_display = ["by", "group", "name", "customer_kind", "answers", "csat", "due", "kept_share"]
    list_filter = ["by", "customer_kind"]
    search_fields = ["group", "name"]
    show_full_result_count = False
