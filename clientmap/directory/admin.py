from django.contrib import admin

from clientmap.directory.models import Message, Organization, Person, Team, TeamMembership, Unit


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "is_home"]
    list_filter = ["is_home"]
    search_fields = ["key", "name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "organization", "parent"]
    search_fields = ["key", "name"]
    list_select_related = ["organization", "parent"]
    autocomplete_fields = ["organization", "parent"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "email", "organization", "unit", "manager"]
    search_fields = ["key", "name", "email"]
    list_filter = ["language"]
    list_select_related = ["organization", "unit", "manager"]
    autocomplete_fields = ["organization", "unit", "manager"]
    raw_id_fields = ["user"]


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "unit"]
    search_fields = ["key", "name"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    inlines = [MembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["team", "person"]
    search_fields = ["team__key", "team__name", "person__key", "person__name"]
    list_select_related = ["team", "person"]
    autocomplete_fields = ["team", "person"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created", "person", "kind", "subject", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "person__key", "person__name"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]
