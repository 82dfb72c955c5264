from django.contrib import admin

from clientmap.catalog.models import Consumption, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "team", "status"]
    list_filter = ["status"]
    search_fields = ["key", "name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]


@admin.register(Consumption)
class ConsumptionAdmin(admin.ModelAdmin):
    list_display = ["provider", "consumer_service", "consumer_unit", "consumer_organization"]
    search_fields = [
        "provider__key",
        "consumer_service__key",
        "consumer_unit__key",
        "consumer_organization__key",
    ]
    list_select_related = [
        "provider",
        "consumer_service",
        "consumer_unit",
        "consumer_organization",
    ]
    autocomplete_fields = [
        "provider",
        "consumer_service",
        "consumer_unit",
        "consumer_organization",
    ]
