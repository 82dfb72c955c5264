"""The derived tables' bookkeeping: visible in the admin, never edited there."""

from django.contrib import admin

from clientmap.core.models import DerivedState, StaleScope


class ReadOnlyAdmin(admin.ModelAdmin):
    """A derived table or bookkeeping: visible in the admin, never added, changed or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DerivedState)
class DerivedStateAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "built", "built_for"]


@admin.register(StaleScope)
class StaleScopeAdmin(ReadOnlyAdmin):
    list_display = ["name", "everyone", "person_id", "organization_id"]
    list_filter = ["name", "everyone"]
    show_full_result_count = False
