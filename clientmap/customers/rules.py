"""C1 (who is a customer) and C2 (internal or external) as set-based SQL.

One statement rebuilds the derived ``customers_customerrelation`` table, for everyone or for a
scope (a few people, or every person of a few organizations). It runs the same on SQLite and
PostgreSQL.

C1: person P is a customer of team T when P made a request to T that T agreed to fulfil (status
accepted, in progress or fulfilled: basis R), or P is involved in deciding (D), specifying (S) or
implementing/supporting (I) T's work. Requests that were declined, withdrawn or never accepted
make P a *prospect* of T, not a customer. Nothing else makes a customer: managers of customers,
people who merely rely on T, organizations.

The date of a request as evidence is its latest known date (closed, else accepted, else opened);
an involvement's is its own date. A relation is *active* when its last evidence is inside the
window (``CLIENTMAP["ACTIVE_WINDOW_DAYS"]``, default 365 days) before the as-of day.

C2: internal when P belongs to the home organization. Otherwise external *paying* when some
request of P's organization to T, agreed and inside the window, is paid in cash or trade; else
external non-paying. Chargebacks and internal budgets never make anyone external or paying. A
lapsed relation keeps the kind it had when it was last active: paying when the organization paid
the team within the window before the relation's last evidence (a customer of 1998 who paid cash
stays a lapsed *paying* customer, not "external non-paying").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clientmap.core import bulk, derived
from clientmap.customers import summary
from clientmap.customers.models import CustomerRelation, Kind, RecomputeState
from clientmap.directory.models import Organization
from clientmap.engagements.models import Request


def window_days() -> int:
    return int(settings.CLIENTMAP.get("ACTIVE_WINDOW_DAYS", 365))


# Which people to rebuild: everyone, some people, or every person of some organizations.
Scope = derived.Changes
EVERYONE = derived.EVERYTHING

# The name of the derived table in ``clientmap.core.derived``.
TABLE = "customer_relations"

# Above this many ids a scoped rebuild is not worth it: rebuild everything.
_MAX_SCOPE_IDS = derived.MAX_SCOPE_IDS


def _in_list(column: str, ids: Iterable[int], params: list) -> str:
    ids = list(ids)
    params.extend(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


def _scope_sql(scope: Scope, person_col: str, org_col: str, params: list) -> str:
    if scope.everyone:
        return "1 = 1"
    parts = []
    if scope.person_ids:
        parts.append(_in_list(person_col, sorted(scope.person_ids), params))
    if scope.organization_ids:
        parts.append(_in_list(org_col, sorted(scope.organization_ids), params))
    return "(" + " OR ".join(parts) + ")"  # pragma: no mutate (SQL is case-blind)


def _q(values: Iterable[str]) -> str:
    """A SQL list of fixed, internal enum values (never user input)."""
    return ", ".join(f"'{v}'" for v in values)


def recompute(scope: Scope = EVERYONE, *, as_of: date | None = None) -> int:
    """Rebuild the customer relations of ``scope``; return the number of relations written."""
    if not scope:
        return 0
    ids = len(scope.person_ids) + len(scope.organization_ids)  # pragma: no mutate (see below)
    if ids > _MAX_SCOPE_IDS:  # pragma: no mutate (a threshold: the same relations either way)
        scope = EVERYONE
    as_of = as_of or timezone.localdate()
    days = window_days()
    cutoff = as_of - timedelta(days=days)
    # pragma: no mutate start (values_list() without a field gives the id first: the same)
    home = Organization.objects.filter(is_home=True).values_list("id", flat=True).first()
    # pragma: no mutate end
    started = time.perf_counter()

    agreed = _q(Request.AGREED)
    paying = _q(Request.PAYING)
    rel = CustomerRelation._meta.db_table
    day = "COALESCE(r.closed, r.accepted, r.opened)"  # pragma: no mutate (SQL is case-blind)
    # pragma: no mutate start (SQL is case-blind)
    first = "COALESCE(MIN(CASE WHEN ev.pr = 0 THEN ev.day END), MIN(ev.day))"
    # pragma: no mutate end
    # pragma: no mutate start (SQL is case-blind)
    last = "COALESCE(MAX(CASE WHEN ev.pr = 0 THEN ev.day END), MAX(ev.day))"
    # pragma: no mutate end

    params: list = []
    delete_sql = (
        f"DELETE FROM {rel} WHERE person_id IN (SELECT p.id FROM directory_person p WHERE "
        + _scope_sql(scope, "p.id", "p.organization_id", params)  # pragma: no mutate (SQL case)
        + ")"
    )
    delete_params = params

    # A lapsed relation keeps the kind it had when it was last active: paying when its
    # organization paid the team in the window before the relation's last evidence (or later).
    if connection.vendor == "postgresql":
        lapsed_from = f"({last} - {int(days)})"
    else:
        lapsed_from = f"date({last}, '-{int(days)} days')"
    params = [home, cutoff, cutoff]
    insert_sql = f"""
        WITH paying AS (
            SELECT pp.organization_id AS organization_id, r.team_id AS team_id,
                   MAX({day}) AS last_paid
            FROM engagements_request r
            JOIN directory_person pp ON pp.id = r.requester_id
            WHERE r.status IN ({agreed}) AND r.payment IN ({paying})
            GROUP BY pp.organization_id, r.team_id
        ),
        ev AS (
            SELECT r.requester_id AS person_id, r.team_id AS team_id,
                   CASE WHEN r.status IN ({agreed}) THEN 1 ELSE 0 END AS r,
                   0 AS d, 0 AS s, 0 AS i,
                   CASE WHEN r.status IN ({agreed}) THEN 0 ELSE 1 END AS pr,
                   {day} AS day
            FROM engagements_request r
            UNION ALL
            SELECT v.person_id, v.team_id, 0,
                   CASE WHEN v.role = 'decides' THEN 1 ELSE 0 END,
                   CASE WHEN v.role = 'specifies' THEN 1 ELSE 0 END,
                   CASE WHEN v.role = 'implements' THEN 1 ELSE 0 END,
                   0, v.date
            FROM engagements_involvement v
        )
        INSERT INTO {rel} (
            team_id, person_id, is_customer, kind, basis_r, basis_d, basis_s, basis_i, active,
            first_evidence, last_evidence, request_count, involvement_count,
            prospect_request_count
        )
        SELECT ev.team_id AS team_id, ev.person_id AS person_id,
               SUM(1 - ev.pr) > 0 AS is_customer,
               CASE WHEN p.organization_id = %s THEN '{Kind.INTERNAL.value}'
                    WHEN paying.last_paid >= %s
                      OR (paying.last_paid >= {lapsed_from} AND {last} < %s)
                    THEN '{Kind.EXTERNAL_PAYING.value}'
                    ELSE '{Kind.EXTERNAL_NONPAYING.value}' END AS kind,
               SUM(ev.r) > 0 AS basis_r, SUM(ev.d) > 0 AS basis_d, SUM(ev.s) > 0 AS basis_s,
               SUM(ev.i) > 0 AS basis_i,
               {last} >= %s AS active,
               {first} AS first_evidence, {last} AS last_evidence,
               SUM(ev.r) AS request_count, SUM(ev.d + ev.s + ev.i) AS involvement_count,
               SUM(ev.pr) AS prospect_request_count
        FROM ev
        JOIN directory_person p ON p.id = ev.person_id
        LEFT JOIN paying ON paying.organization_id = p.organization_id
                        AND paying.team_id = ev.team_id
        WHERE {{scope}}
          AND NOT EXISTS (
              SELECT 1 FROM directory_teammembership m
              WHERE m.team_id = ev.team_id AND m.person_id = ev.person_id
          )
        GROUP BY ev.team_id, ev.person_id, p.organization_id, paying.last_paid
    """
    params.append(cutoff)
    insert_sql = insert_sql.replace(
        "{scope}",
        _scope_sql(scope, "p.id", "p.organization_id", params),  # pragma: no mutate (SQL case)
    )

    with transaction.atomic():
        with connection.cursor() as cursor:
            if scope.everyone:
                _rebuild_all(cursor, insert_sql, params)
            else:
                cursor.execute(delete_sql, delete_params)
                cursor.execute(insert_sql, params)
        # pragma: no mutate start (counted here or below: the same)
        total = CustomerRelation.objects.count() if scope.everyone else None
        # pragma: no mutate end
        # pragma: no mutate start (a first state: every field is set before the save, or the
        # scoped rebuild turns into a full one; ``seconds`` is never read)
        state = RecomputeState.objects.first() or RecomputeState(
            as_of=as_of, window_days=days, computed_at=timezone.now(), seconds=0, relations=0
        )
        # pragma: no mutate end
        if scope.everyone or state.as_of != as_of or state.window_days != days:
            # A scoped rebuild on another day would leave the rest stale: do everything.
            if not scope.everyone:
                return recompute(as_of=as_of)  # everyone (the default scope)
            state.as_of = as_of
            state.window_days = days
            state.seconds = time.perf_counter() - started
        state.computed_at = timezone.now()
        # pragma: no mutate start (the same count)
        state.relations = total if total is not None else CustomerRelation.objects.count()
        # pragma: no mutate end
        state.save()
        if scope.everyone:
            derived.mark_built(TABLE, built_for=_parameters(as_of, days))
        # The figures stored from the relations, in the same transaction (customers.summary).
        summary.rebuild()
        # Paying organizations come from these relations: the value chain's graph is stale.
        derived.mark_stale("value_chain")
    return state.relations


_COLUMNS = (
    "team_id",
    "person_id",
    "is_customer",
    "kind",
    "basis_r",
    "basis_d",
    "basis_s",
    "basis_i",
    "active",
    "first_evidence",
    "last_evidence",
    "request_count",
    "involvement_count",
    "prospect_request_count",
)


def _rebuild_all(cursor, insert_sql: str, params: list) -> None:
    """Rebuild every relation, writing only the difference (into an empty table: all of them).

    The new relations are computed into a temporary table; then only the relations that
    vanished are deleted, the changed ones updated and the new ones inserted. After a small
    change this writes a handful of rows instead of rewriting the whole table (deleting and
    re-inserting a million indexed rows is what costs, not computing them).
    """
    rel = CustomerRelation._meta.db_table
    cursor.execute(f"SELECT 1 FROM {rel} LIMIT 1")
    if cursor.fetchone() is None:
        # An empty table (a first import): no difference to take, the relations go straight
        # into it — not through a temporary table, which wrote and read every one of them a
        # second time (a third of the rebuild at 1 000 000 requests). Whether the indexes are
        # dropped around the load is decided on what can come in: at most one relation per
        # request or involvement.
        # pragma: no mutate start (SQL is case-blind)
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM engagements_request) + "
            "(SELECT COUNT(*) FROM engagements_involvement)"
        )
        # pragma: no mutate end
        incoming = cursor.fetchone()[0]
        # Only whether indexes are dropped around a large load (a speed-up, see bench/).
        with bulk.loading(rel, incoming, 0):  # pragma: no mutate (the same rows either way)
            cursor.execute(insert_sql, params)
        return
    head, _, rest = insert_sql.partition("INSERT INTO")  # pragma: no mutate (it occurs once)
    select = rest[rest.index("SELECT ev.team_id") :]  # pragma: no mutate (it occurs once)
    cols = ", ".join(_COLUMNS)
    cursor.execute("DROP TABLE IF EXISTS cm_new_relation")  # pragma: no mutate (SQL is case-blind)
    # pragma: no mutate start (SQL is case-blind)
    cursor.execute("CREATE TEMPORARY TABLE cm_new_relation AS " + head + select, params)
    # pragma: no mutate end
    # pragma: no mutate start (SQL is case-blind)
    cursor.execute("CREATE INDEX cm_new_relation_key ON cm_new_relation (team_id, person_id)")
    # pragma: no mutate end
    same = f"n.team_id = {rel}.team_id AND n.person_id = {rel}.person_id"
    cursor.execute(
        f"DELETE FROM {rel} WHERE NOT EXISTS (SELECT 1 FROM cm_new_relation n WHERE {same})"
    )
    values = _COLUMNS[2:]
    # pragma: no mutate start (SQL is case-blind)
    differs = " OR ".join(f"{rel}.{c} IS DISTINCT FROM n.{c}" for c in values)
    # pragma: no mutate end
    sets = ", ".join(f"{c} = n.{c}" for c in values)
    cursor.execute(f"UPDATE {rel} SET {sets} FROM cm_new_relation n WHERE {same} AND ({differs})")
    cursor.execute(
        f"INSERT INTO {rel} ({cols}) SELECT {cols} FROM cm_new_relation n WHERE NOT EXISTS "
        f"(SELECT 1 FROM {rel} r WHERE r.team_id = n.team_id AND r.person_id = n.person_id)"
    )
    cursor.execute("DROP TABLE cm_new_relation")  # pragma: no mutate (SQL is case-blind)


def _parameters(as_of: date, days: int) -> str:
    return f"{as_of.isoformat()}/{days}"


def parameters() -> str:
    """What the relations are built for besides their inputs: the day and the active window
    (relations lapse as days pass: a new day rebuilds everything)."""
    return _parameters(timezone.localdate(), window_days())


def refresh(changes: derived.Changes) -> None:
    """Bring the relations current for ``changes`` (called by ``derived.ensure_current``)."""
    recompute(changes)


def mark_dirty(scope: Scope) -> None:
    """Note, in the current transaction, that ``scope``'s relations are stale; they are rebuilt
    after the commit and, at the latest, by the next read (``derived.ensure_current``)."""
    derived.mark_stale(
        TABLE,
        # no ids is everyone to mark_stale, and EVERYONE carries none: the same either way
        everyone=scope.everyone,  # pragma: no mutate (see above)
        person_ids=scope.person_ids,
        organization_ids=scope.organization_ids,
    )


# Collect changes (bulk imports, demo loading) and record them once at the end.
deferred_recompute = derived.deferred


def scope_for_person(person_id: int, organization_id: int | None) -> Scope:
    """People whose relations can change when this person's requests change."""
    # pragma: no mutate start (values_list() without a field gives the id first: the same)
    home = Organization.objects.filter(is_home=True).values_list("id", flat=True).first()
    # pragma: no mutate end
    if organization_id is not None and organization_id != home:
        # Payments of one person make the whole organization paying (C2).
        return Scope(
            # the person is one of the organization's: naming them too changes nothing
            person_ids=frozenset({person_id}),  # pragma: no mutate
            organization_ids=frozenset({organization_id}),
        )
    return Scope(person_ids=frozenset({person_id}))
