"""What a newcomer trips on in the value chain: raw keys and ISO times in the alert ranking, a
"Tell" offered for an alert that reaches nobody, alerts kept from the workbook not shown."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from clientmap.customers import rules
from clientmap.valuechain import rules as vc
from clientmap.valuechain.models import Alert
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chain():
    f.home_org()
    acme = f.org(key="acme-key", name="Acme Corporation")
    team = f.team(key="t-app", name="Applications")
    lonely = f.team(key="t-mon", name="Monitoring")
    app = f.service(team, key="svc-app", name="The application")
    mon = f.service(lonely, key="svc-mon", name="Monitoring agent")
    f.consumes(acme, app)
    buyer = f.person(acme, key="buyer", name="Bea Buyer", email="bea@acme.example")
    f.request(buyer, team, status="fulfilled", payment="cash")
    rules.recompute()
    vc.invalidate()
    now = timezone.now().replace(hour=9, minute=5, second=0, microsecond=0)
    Alert.objects.create(key="A-app", component="svc-app", service=app, time=now, text="slow")
    Alert.objects.create(key="A-mon", component="svc-mon", service=mon, time=now, text="agent")
    yield team, now
    vc.invalidate()


def test_kept_alerts_are_ranked_with_names_local_times_and_tell_only_when_someone_is_reached(
    staff_client, chain
) -> None:
    team, now = chain
    html = staff_client.get("/value-chain/alerts/").content.decode()
    assert html.index("A-app") < html.index("A-mon")  # paying customers first
    assert "Acme Corporation" in html and "acme-key" not in html  # names, not keys
    local = timezone.localtime(now)
    assert f"{local.day} {local:%b} {local.year}, 09:05" in html  # a local date, not ISO
    assert now.isoformat() not in html
    row_app = html[html.index("A-app") : html.index("A-mon")]
    row_mon = html[html.index("A-mon") :]
    assert "svc-app/?alert=A-app" in row_app  # Tell offered: one customer reached
    assert "?alert=A-mon" not in row_mon and "No customer to tell" in row_mon


def test_kept_alerts_of_one_team(staff_client, chain) -> None:
    html = staff_client.get("/value-chain/alerts/?team=t-app").content.decode()
    assert "A-app" in html and "A-mon" not in html


def test_old_alerts_are_not_this_months(staff_client, chain) -> None:
    Alert.objects.update(time=timezone.make_aware(datetime(2001, 1, 1)))
    html = staff_client.get("/value-chain/alerts/").content.decode()
    assert "A-app" not in html
