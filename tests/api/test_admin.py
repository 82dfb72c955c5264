"""Django admin for every model; derived tables are read-only."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from clientmap.customers.models import CustomerRelation
from tests import story as demo

pytestmark = pytest.mark.django_db

OURS = ("directory", "catalog", "engagements", "customers", "imports", "valuechain")


def test_every_model_is_in_the_admin() -> None:
    for label in OURS:
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model


def test_changelists_open(staff_client) -> None:
    demo.load()
    for label in OURS:
        for model in apps.get_app_config(label).get_models():
            url = f"/admin/{label}/{model._meta.model_name}/"
            assert staff_client.get(url).status_code == 200, url
    assert staff_client.get("/admin/directory/person/?q=whitfield").status_code == 200


def test_customer_relations_are_read_only(staff_client) -> None:
    demo.load()
    rel = CustomerRelation.objects.first()
    assert staff_client.get("/admin/customers/customerrelation/add/").status_code == 403
    page = staff_client.get(f"/admin/customers/customerrelation/{rel.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
