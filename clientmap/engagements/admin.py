from django.contrib import admin

from clientmap.core.admin import ReadOnlyAdmin
from clientmap.engagements.models import Involvement, Request, TeamRequestFigures


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "requester", "team", "service", "status", "payment", "opened"]
    list_filter = ["status", "payment"]
    search_fields = ["key", "title", "requester__key", "requester__name"]
    list_select_related = ["requester", "team", "service"]
    autocomplete_fields = ["requester", "team", "service"]
    date_hierarchy = "opened"
    show_full_result_count = False  # a million rows: no second COUNT(*) per page


@admin.register(Involvement)
class InvolvementAdmin(admin.ModelAdmin):
    list_display = ["person", "team", "service", "role", "date", "source"]
    list_filter = ["role"]
    search_fields = ["person__key", "person__name", "team__key", "source"]
    list_select_related = ["person", "team", "service"]
    autocomplete_fields = ["person", "team", "service"]
    show_full_result_count = False


@admin.register(TeamRequestFigures)
class TeamRequestFiguresAdmin(ReadOnlyAdmin):
    """Derived (``engagements.figures``): visible, never edited here."""

    list_display = ["team", "as_of", "total", "open", "recent", "n", "on_time"]
    list_select_related = ["team"]
    search_fields = ["team__key", "team__name"]
    show_full_result_count = False
