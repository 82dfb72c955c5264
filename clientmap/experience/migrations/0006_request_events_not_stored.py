"""A request's opened, accepted and declined touchpoints are no longer stored: the journey reads
them from the requests (``experience.derive.events``). The derived rows of those kinds go;
going back writes them again (the SQL the rebuild used for them, frozen here)."""

from django.db import migrations

KINDS = ("opened", "accepted", "declined")


def _true(connection) -> str:
    return "TRUE" if connection.vendor == "postgresql" else "1"


def forward(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM experience_touchpoint WHERE derived = {_true(connection)} "
            "AND kind IN ('opened', 'accepted', 'declined')"
        )


def backward(apps, schema_editor) -> None:
    connection = schema_editor.connection
    t = _true(connection)
    null_ts = "CAST(NULL AS timestamp)" if connection.vendor == "postgresql" else "NULL"
    cols = (
        "derived, person_id, team_id, service_id, request_id, notice_id, kind, day, at, score, "
        "delay, comment"
    )
    base = (
        f"INSERT INTO experience_touchpoint ({cols}) SELECT {t}, r.requester_id, r.team_id, "
        "r.service_id, r.id, CAST(NULL AS bigint), '{kind}', {day}, "
        f"{null_ts}, CAST(NULL AS integer), CAST(NULL AS integer), '' "
        "FROM engagements_request r WHERE {cond}"
    )
    with connection.cursor() as cursor:
        cursor.execute(base.format(kind="opened", day="r.opened", cond="1 = 1"))
        cursor.execute(
            base.format(kind="accepted", day="r.accepted", cond="r.accepted IS NOT NULL")
        )
        cursor.execute(
            base.format(
                kind="declined",
                day="COALESCE(r.closed, r.accepted, r.opened)",
                cond="r.status = 'declined'",
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("experience", "0005_satisfaction_group_index"),
    ]

    operations = [migrations.RunPython(forward, backward)]
