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

pytestmark = pytest.mark.django_db


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


def test_send_shows_the_recipients_first_and_leaves_out_the_lapsed(staff_client) -> None:
    from datetime import timedelta

    from django.core import mail

    f.home_org()
    acme = f.org(key="acme", name="Acme")
    team = f.team(key="t-hd", name="Help desk")
    f.service(team, key="svc-hd", name="Help desk service")
    fresh = f.person(acme, key="fresh", name="Fay Fresh", email="fay@acme.example")
    old = f.person(acme, key="old", name="Olaf Old", email="olaf@acme.example")
    today = timezone.localdate()
    f.request(fresh, team, status="fulfilled", payment="cash", opened=today)
    long_ago = today - timedelta(days=900)
    f.request(old, team, status="fulfilled", payment="cash", opened=long_ago, closed=long_ago)
    rules.recompute()
    vc.invalidate()
    mail.outbox.clear()  # the fulfilled requests' satisfaction surveys (X1) are not notices
    page = staff_client.get("/value-chain/services/svc-hd/").content.decode()
    table = page[page.index('class="table-wrap recipients"') :]
    table = table[: table.index("</table>")]
    assert "Fay Fresh" in table and "Olaf Old" not in table  # lapsed: left out
    assert "external paying" in table  # the kind, as a label
    assert "1 customer who has gone quiet (lapsed) is left out" in page
    with_lapsed = staff_client.get("/value-chain/services/svc-hd/?lapsed=1").content.decode()
    assert "Olaf Old" in with_lapsed
    form = staff_client.get("/value-chain/services/svc-hd/").context["tell"]["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    preview = staff_client.post("/value-chain/services/svc-hd/tell/", data)
    assert preview.status_code == 200 and "Preview: what they will read" in preview.content.decode()
    assert not mail.outbox
    staff_client.post("/value-chain/services/svc-hd/tell/", {**data, "confirm": "1"})
    assert [m.to for m in mail.outbox] == [["fay@acme.example"]]
    staff_client.post(
        "/value-chain/services/svc-hd/tell/", {**data, "confirm": "1", "include_lapsed": "on"}
    )
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["fay@acme.example", "olaf@acme.example"]
