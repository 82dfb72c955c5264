from django.contrib import admin

from clientmap.voice.models import (
    Attestation,
    Comment,
    Follow,
    Notification,
    StatusChange,
    Vote,
    Wish,
)


@admin.register(Wish)
class WishAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "author", "team", "status", "vote_count", "created"]
    list_filter = ["status", "visibility"]
    search_fields = ["key", "title", "text"]
    list_select_related = ["author", "team"]
    autocomplete_fields = ["author", "team", "service", "merged_into"]
    filter_horizontal = ["covered_by"]
    readonly_fields = ["vote_count"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["wish", "person", "created"]
    search_fields = ["wish__key", "person__key", "person__name"]
    list_select_related = ["wish", "person"]
    autocomplete_fields = ["wish", "person"]


for model in (Comment, Follow, Notification):
    admin.site.register(model, list_select_related=True, raw_id_fields=["wish", "person"])


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["wish", "old", "new", "by", "at"]
    raw_id_fields = ["wish"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["wish", "person", "asked_at", "answered_at", "helped"]
    raw_id_fields = ["wish", "person"]
    readonly_fields = ["token"]
