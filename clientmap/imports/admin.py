from django.contrib import admin

from clientmap.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "format", "status", "check_only", "created_by", "created_at"]
    list_filter = ["status", "format", "check_only"]
    search_fields = ["filename"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
