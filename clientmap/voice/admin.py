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
from clientmap.voice.services import _recount


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
    """Votes added, moved or deleted by hand: the wishes they touch are counted and weighed
    again from the vote table (``services._recount``), as every other write of a vote does —
    the wish list, the coverage figures and the demand sort read those stored figures."""

    list_display = ["wish", "person", "created"]
    search_fields = ["wish__key", "person__key", "person__name"]
    list_select_related = ["wish", "person"]
    autocomplete_fields = ["wish", "person"]

    def save_model(self, request, obj, form, change) -> None:
        before = Vote.objects.filter(pk=obj.pk).values_list("wish_id", flat=True).first()
        super().save_model(request, obj, form, change)
        _recount(sorted({obj.wish_id, *([before] if before else [])}))

    def delete_model(self, request, obj) -> None:
        wish_id = obj.wish_id
        super().delete_model(request, obj)
        _recount([wish_id])

    def delete_queryset(self, request, queryset) -> None:
        wish_ids = sorted(set(queryset.values_list("wish_id", flat=True)))
        super().delete_queryset(request, queryset)
        _recount(wish_ids)


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
