"""Derived data: visible in the admin, never edited there (it is rebuilt from its inputs)."""

from django.contrib import admin

from clientmap.core.admin import ReadOnlyAdmin
from clientmap.customers.models import (
    CustomerRelation,
    NobodysCustomer,
    OrganizationSummary,
    RecomputeState,
    TeamSummary,
)


@admin.register(CustomerRelation)
class CustomerRelationAdmin(ReadOnlyAdmin):
    list_display = [
        "person",
        "team",
        "is_customer",
        "kind",
        "basis",
        "active",
        "first_evidence",
        "last_evidence",
    ]
    list_filter = ["is_customer", "kind", "active", "basis_r", "basis_d", "basis_s", "basis_i"]
    search_fields = ["person__key", "person__name", "team__key", "team__name"]
    list_select_related = ["person", "team"]
    show_full_result_count = False


@admin.register(RecomputeState)
class RecomputeStateAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "window_days", "relations", "seconds", "computed_at"]


@admin.register(TeamSummary)
class TeamSummaryAdmin(ReadOnlyAdmin):
    list_display = ["team", "customers", "active", "prospects", "external_paying"]
    list_select_related = ["team"]
    search_fields = ["team__key", "team__name"]
    show_full_result_count = False


@admin.register(OrganizationSummary)
class OrganizationSummaryAdmin(ReadOnlyAdmin):
    list_display = [
        "customers",
        "active",
        "prospects",
        "relations",
        "teams_with_customers",
        "people",
    ]


@admin.register(NobodysCustomer)
class NobodysCustomerAdmin(ReadOnlyAdmin):
    list_display = ["person"]
    list_select_related = ["person"]
    search_fields = ["person__key", "person__name"]
    show_full_result_count = False
