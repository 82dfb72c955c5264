"""The summaries start empty: mark the customer relations stale, so the next
``derived.ensure_current`` recomputes them — and the summaries with them."""

import random

from django.db import migrations


def relations_stale(apps, schema_editor):
    DerivedState = apps.get_model("core", "DerivedState")
    StaleScope = apps.get_model("core", "StaleScope")
    if DerivedState.objects.filter(name="customer_relations").update(
        version=random.getrandbits(62) + 1
    ):
        StaleScope.objects.create(name="customer_relations", everyone=True)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_summaries"),
        ("core", "0004_merge_0002_jobs_0003_tokens_audit"),
    ]

    operations = [migrations.RunPython(relations_stale, migrations.RunPython.noop)]
