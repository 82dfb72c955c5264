"""Reach sets: the teams each service's failure and each team's work reach (V1, V2), stored
with the figures of their direct customers, so the impact and reach pages read them with a join
instead of counting distinct people over the relations of thousands of teams on every request.

A **reach set** is a set of teams reached in the value chain (``graph``: a breadth-first search
from a service, or from a team and its services, over every edge). Many services reach the same
set — every team, for a storage service — so each distinct set is stored once
(``ReachSet``: its teams in ``ReachSetTeam``), named by a digest of its teams' keys. For each set:

* ``ReachSetPerson``: every C1 customer (``is_customer``) of at least one of its teams, once, with
  the best kind of their relations to those teams (external paying, external non-paying,
  internal), the lowest team id among them, whether one is active, the last evidence, and the
  person's name, e-mail (whether there is one) and language;
* on the set: distinct customers internal, external and external paying, and the recipients of
  "tell the affected customers" (with an e-mail address; with an active relation, or any);
* ``ReachSetLanguage``: the recipients by language.

Those are stored for the **large** sets only (more than ``LARGE`` customer relations: the set of
every team and a few others — at 1 000 000 requests, 5 of 1 198 sets), where counting them on a
read takes seconds. A small set's are read on request through a join of its stored teams with
the relations (:func:`relations`: ``team_id IN (SELECT team_id FROM valuechain_reachsetteam
WHERE reach_set_id = …)``, never a list of ids): a few thousand rows.

A reader runs its search on the graph as before and looks the set up by the digest of the teams
it reached (:func:`find`): the stored set is exactly those teams, or there is none (then the
caller counts from the relations as before — the same answer, slower).

Derived table ``reach_sets`` in ``clientmap.core.derived``: rebuilt whole from the graph and the
customer relations, set-based (one ``INSERT … SELECT … GROUP BY`` over the relations joined to
the sets' teams). It is marked stale by every rebuild of the customer relations
(``customers.summary.relations_rebuilt``), by every write to a table the graph is made of, and by
a person's change of name, e-mail or language (``valuechain.apps``).
"""

from __future__ import annotations

import hashlib
import time

import numpy as np
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Q, Value, When
from django.db.models.functions import Cast

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation, Kind, TeamSummary
from clientmap.directory.models import Person, Team
from clientmap.valuechain.graph import SERVICE, TEAM, ValueGraph, load_graph
from clientmap.valuechain.models import ReachSet, ReachSetLanguage, ReachSetPerson, ReachSetTeam

TABLE = "reach_sets"  # its name in ``clientmap.core.derived``

# The best kind first: the order of the direct customers (external paying first).
RANK = {Kind.EXTERNAL_PAYING.value: 0, Kind.EXTERNAL_NONPAYING.value: 1, Kind.INTERNAL.value: 2}
RANK_KIND = {v: k for k, v in RANK.items()}

_BATCH = 5000

# Above this many customer relations of its teams, a set's direct customers are stored.
LARGE = 20_000

KIND_ORDER = Case(
    *[When(kind=k, then=Value(v)) for k, v in RANK.items() if k != Kind.INTERNAL.value],
    default=Value(RANK[Kind.INTERNAL.value]),
    output_field=IntegerField(),
)


def digest(keys: list[str]) -> str:
    """The name of the set of teams with these keys (any order)."""
    h = hashlib.sha256()
    for key in sorted(keys):
        h.update(key.encode())
        h.update(b"\x00")
    return h.hexdigest()


def team_digest(g: ValueGraph, team_nodes: np.ndarray) -> str:
    keys = g.keys
    return digest([keys[i] for i in np.unique(team_nodes).tolist()])


# --- the sets, from the graph -----------------------------------------------------------------


def team_bits(g: ValueGraph) -> tuple[list[int], list[int]]:
    """Per service ordinal and per team ordinal: the bitset (Python int; bit ``t`` is team
    ordinal ``t``) of the teams its failure (a service) or its work (a team and its services)
    reaches. One pass over the condensation of the full graph, sinks first."""
    closure = g.full
    nc, labels = closure.components
    indptr, indices, order = closure.condensation
    first, last = g.offsets[TEAM], g.offsets[TEAM + 1]
    lab = labels.tolist()
    bits = [0] * nc
    for t in range(last - first):
        bits[lab[first + t]] |= 1 << t
    ip, ix = indptr.tolist(), indices.tolist()
    for c in order.tolist():
        b = bits[c]
        for s in ix[ip[c] : ip[c + 1]]:
            b |= bits[s]
        bits[c] = b
    services = [bits[lab[i]] for i in range(g.offsets[SERVICE], g.offsets[SERVICE + 1])]
    tip, tsv = g.team_services
    tip_l, tsv_l = tip.tolist(), tsv.tolist()
    teams = []
    for t in range(last - first):
        b = bits[lab[first + t]]
        for s in tsv_l[tip_l[t] : tip_l[t + 1]]:
            b |= bits[lab[s]]
        teams.append(b)
    return services, teams


def _ordinals(b: int) -> list[int]:
    """The set bits of ``b``, lowest first."""
    out = []
    s = bin(b)[:1:-1]  # least significant first
    pos = s.find("1")
    while pos >= 0:
        out.append(pos)
        pos = s.find("1", pos + 1)
    return out


def sets_of(g: ValueGraph) -> dict[str, list[int]]:
    """Every distinct non-empty reach set of the graph: digest → team database ids."""
    services, teams = team_bits(g)
    first = g.offsets[TEAM]
    out: dict[str, list[int]] = {}
    for b in set(services) | set(teams):
        if not b:
            continue
        nodes = [first + t for t in _ordinals(b)]
        out[digest([g.keys[i] for i in nodes])] = [int(g.db_id[i]) for i in nodes]
    return out


# --- rebuilding --------------------------------------------------------------------------------


def _sql() -> dict[str, str]:
    pg = connection.vendor == "postgresql"
    return {"true": "TRUE" if pg else "1", "any": "BOOL_OR({})" if pg else "MAX({})"}


def _insert_people(cursor, every: int, scope: str = "", params: list | None = None) -> None:
    """Write the ``ReachSetPerson`` rows of every stored set (of the people of ``scope``, a SQL
    condition on ``r.person_id`` with ``params``, when given) from the relations."""
    rs_table = ReachSet._meta.db_table
    rst_table = ReachSetTeam._meta.db_table
    rsp_table = ReachSetPerson._meta.db_table
    rel = CustomerRelation._meta.db_table
    person = Person._meta.db_table
    sql = _sql()
    rank = (
        "CASE r.kind "
        + " ".join(f"WHEN '{k}' THEN {v}" for k, v in RANK.items() if k != Kind.INTERNAL.value)
        + f" ELSE {RANK[Kind.INTERNAL.value]} END"
    )
    internal = f"r.kind = '{Kind.INTERNAL.value}'"
    aggregate = f"""
        MIN(r.team_id) AS team_id, MIN({rank}) AS rank,
        {sql["any"].format(internal)} AS internal,
        {sql["any"].format("NOT " + internal)} AS external,
        {sql["any"].format("r.active")} AS active,
        MAX(r.last_evidence) AS last_evidence
    """
    where = f"r.is_customer = {sql['true']}" + (f" AND {scope}" if scope else "")
    whole = list(
        ReachSet.objects.filter(stored=True, teams__gte=every).values_list("pk", flat=True)[:1]
    )
    parts = [
        # the other large sets: the relations of their teams
        f"""SELECT s.reach_set_id AS reach_set_id, r.person_id AS person_id, {aggregate}
            FROM {rs_table} rs
            JOIN {rst_table} s ON s.reach_set_id = rs.id
            JOIN {rel} r ON r.team_id = s.team_id
            WHERE rs.stored = {sql["true"]} AND rs.teams < {int(every)} AND {where}
            GROUP BY s.reach_set_id, r.person_id"""
    ]
    if whole:
        # the set of every team (at most one): every relation, no join
        parts.append(
            f"""SELECT {int(whole[0])} AS reach_set_id, r.person_id AS person_id, {aggregate}
                FROM {rel} r WHERE {where} GROUP BY r.person_id"""
        )
    for part in parts:
        cursor.execute(
            f"""
            INSERT INTO {rsp_table} (reach_set_id, person_id, team_id, rank, internal, external,
                                     active, last_evidence, name, has_email, language)
            SELECT x.reach_set_id, x.person_id, x.team_id, x.rank, x.internal, x.external,
                   x.active, x.last_evidence, p.name,
                   CASE WHEN p.email <> '' THEN 1 ELSE 0 END, p.language
            FROM ({part}) x
            JOIN {person} p ON p.id = x.person_id
            ORDER BY x.reach_set_id, x.rank, p.name, x.person_id
            """,
            params or None,
        )


def _recount(cursor) -> None:
    """The figures of every stored set (its counts, its recipients by language) from its
    ``ReachSetPerson`` rows."""
    rs_table = ReachSet._meta.db_table
    rsp_table = ReachSetPerson._meta.db_table
    rsl_table = ReachSetLanguage._meta.db_table
    cursor.execute(f"DELETE FROM {rsl_table}")
    cursor.execute(
        f"""
        INSERT INTO {rsl_table} (reach_set_id, language, recipients, recipients_all)
        SELECT reach_set_id, language, SUM(CASE WHEN active THEN 1 ELSE 0 END), COUNT(*)
        FROM {rsp_table} WHERE has_email = 1 GROUP BY reach_set_id, language
        """
    )
    cursor.execute(
        f"UPDATE {rs_table} SET internal = 0, external = 0, external_paying = 0, "
        "recipients = 0, recipients_all = 0"
    )
    cursor.execute(
        f"""
        UPDATE {rs_table} SET internal = a.internal, external = a.external,
               external_paying = a.external_paying, recipients = a.recipients,
               recipients_all = a.recipients_all
        FROM (
            SELECT reach_set_id,
                   SUM(CASE WHEN internal THEN 1 ELSE 0 END) AS internal,
                   SUM(CASE WHEN external THEN 1 ELSE 0 END) AS external,
                   SUM(CASE WHEN rank = 0 THEN 1 ELSE 0 END) AS external_paying,
                   SUM(CASE WHEN has_email = 1 AND active THEN 1 ELSE 0 END) AS recipients,
                   SUM(has_email) AS recipients_all
            FROM {rsp_table} GROUP BY reach_set_id
        ) a
        WHERE {rs_table}.id = a.reach_set_id
        """
    )


def rebuild(g: ValueGraph | None = None) -> dict:
    """Every reach set, and the figures of the large ones, from the graph and the relations as
    they are now."""
    started = time.perf_counter()
    g = g or load_graph(current=False)
    sets = sets_of(g)
    per_team = dict(TeamSummary.objects.filter(customers__gt=0).values_list("team_id", "customers"))
    rst_table = ReachSetTeam._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ReachSetLanguage, ReachSetPerson, ReachSetTeam, ReachSet):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        rows = []
        for d, ids in sorted(sets.items()):
            n = sum(per_team.get(t, 0) for t in ids)
            rows.append(ReachSet(digest=d, teams=len(ids), relations=n, stored=n > LARGE))
        ReachSet.objects.bulk_create(rows, batch_size=_BATCH)
        by_digest = dict(ReachSet.objects.values_list("digest", "pk"))
        members = [(by_digest[d], t) for d, ids in sorted(sets.items()) for t in ids]
        for i in range(0, len(members), _BATCH):
            cursor.executemany(
                f"INSERT INTO {rst_table} (reach_set_id, team_id) VALUES (%s, %s)",
                members[i : i + _BATCH],
            )
        _insert_people(cursor, g.offsets[TEAM + 1] - g.offsets[TEAM])
        _recount(cursor)
    return {"sets": len(sets), "seconds": round(time.perf_counter() - started, 2)}


def refresh_people(person_ids: frozenset[int], organization_ids: frozenset[int]) -> None:
    """Bring the stored sets current for these people and the people of these organizations
    (their relations, names, e-mail addresses or languages changed): their rows written again,
    every stored set counted again. The sets themselves (which teams) stay: ``refresh`` rebuilds
    everything when they changed."""
    rsp_table = ReachSetPerson._meta.db_table
    person = Person._meta.db_table
    params: list = []
    parts = []
    if person_ids:
        parts.append(f"{{col}} IN ({', '.join(['%s'] * len(person_ids))})")
        params += sorted(person_ids)  # pragma: no mutate (params is empty here: = is the same)
    if organization_ids:
        parts.append(
            f"{{col}} IN (SELECT id FROM {person} WHERE organization_id IN "
            f"({', '.join(['%s'] * len(organization_ids))}))"
        )
        params += sorted(organization_ids)
    if not parts:
        return
    scope = "(" + " OR ".join(parts) + ")"  # pragma: no mutate (SQL is case-blind)
    teams = Team.objects.count()
    with transaction.atomic(), connection.cursor() as cursor:
        # pragma: no mutate start (SQL is case-blind: the column names; what else these two
        # calls get is pinned by test_mutants_reach.py::test_a_scoped_refresh_rewrites_several_peoples_rows)
        cursor.execute(f"DELETE FROM {rsp_table} WHERE {scope.format(col='person_id')}", params)
        _insert_people(cursor, teams, scope.format(col="r.person_id"), params)
        # pragma: no mutate end
        _recount(cursor)


def refresh(changes: derived.Changes) -> None:
    """Bring the reach sets current (called by ``derived.ensure_current``): for a few people,
    their rows; for everyone, everything."""
    g = load_graph(current=False)
    if changes.everyone or set(sets_of(g)) != set(
        ReachSet.objects.values_list("digest", flat=True)
    ):
        # everything, or the sets themselves changed: a person who starts or stops paying a
        # team adds or removes an edge of the graph (team → their organization)
        rebuild(g)
    else:
        refresh_people(changes.person_ids, changes.organization_ids)


def mark_stale(*_args, **_kwargs) -> None:
    """An input of the reach sets changed for everyone (a signal receiver, in the writing
    transaction): the graph, or a person deleted."""
    derived.mark_stale(TABLE)


def relations_rebuilt(sender, everyone: bool, person_ids, organization_ids, **kwargs) -> None:
    """The customer relations were rebuilt (in their transaction): stale for what they were
    rebuilt for."""
    if everyone:
        derived.mark_stale(TABLE)
    else:
        derived.mark_stale(TABLE, person_ids=person_ids, organization_ids=organization_ids)


_PERSON_FIELDS = ("name", "email", "language")


def remember_person(sender, instance, **kwargs) -> None:
    """Before a person is saved: what the reach sets keep of them (name, e-mail, language)."""
    if instance.pk:
        instance._reach_fields = (
            Person.objects.filter(pk=instance.pk).values_list(*_PERSON_FIELDS).first()
        )


def person_saved(sender, instance, created: bool, **kwargs) -> None:
    """A person saved: stale when what the reach sets keep of them changed (a new person has no
    relation yet: nothing)."""
    if created:
        return
    now = tuple(getattr(instance, f) for f in _PERSON_FIELDS)
    if getattr(instance, "_reach_fields", None) != now:
        derived.mark_stale(TABLE, person_ids=[instance.pk])


# --- reading -----------------------------------------------------------------------------------


def find(g: ValueGraph, team_nodes: np.ndarray) -> ReachSet | None:
    """The reach set of exactly these teams (None when there is none: no team, or teams that no
    search of the graph the sets were built from reaches together)."""
    if len(team_nodes) == 0:
        return None
    return ReachSet.objects.filter(digest=team_digest(g, team_nodes)).first()


def of_service(service, g: ValueGraph) -> ReachSet | None:
    """The reach set of ``service``'s failure (None when it reaches no team)."""
    node = g.node(SERVICE, service.pk)
    if node < 0:
        return None
    order, _pred = g.bfs([node])
    return find(g, g.of_type(order, TEAM))


def every_team(g: ValueGraph, reach_set: ReachSet) -> bool:
    """Whether the set is every team of the graph (then no join is needed)."""
    return reach_set.teams >= g.offsets[TEAM + 1] - g.offsets[TEAM]


def relations(
    reach_set: ReachSet,
    *,
    whole: bool = False,  # pragma: no mutate (every caller passes it)
):
    """The customer relations of the set's teams, through a join with its stored teams (all
    relations, with no join, when the set is every team: ``whole``)."""
    if whole:
        return CustomerRelation.objects.all()
    teams = ReachSetTeam.objects.filter(reach_set=reach_set).values("team_id")
    return CustomerRelation.objects.filter(team_id__in=teams)


def counts(
    reach_set: ReachSet,
    *,
    whole: bool = False,  # pragma: no mutate (every caller passes it)
) -> dict[str, int]:
    """Distinct C1 customers (people) of the set's teams: internal, external, external paying."""
    if reach_set.stored:
        return {
            "internal": reach_set.internal,
            "external": reach_set.external,
            "external_paying": reach_set.external_paying,
        }
    agg = (
        relations(reach_set, whole=whole)
        .filter(is_customer=True)
        .aggregate(
            internal=Count("person", distinct=True, filter=Q(kind=Kind.INTERNAL)),
            external=Count("person", distinct=True, filter=~Q(kind=Kind.INTERNAL)),
            external_paying=Count("person", distinct=True, filter=Q(kind=Kind.EXTERNAL_PAYING)),
        )
    )
    return {k: int(v or 0) for k, v in agg.items()}


def people(
    reach_set: ReachSet,
    *,
    limit: int,
    offset: int = 0,
    whole: bool = False,  # pragma: no mutate (every caller passes it)
) -> list:
    """The set's direct customers, best kind first, then by name (``limit`` from ``offset``):
    (person id, the lowest of their teams' ids in the set, rank)."""
    if reach_set.stored:
        rows = ReachSetPerson.objects.filter(reach_set=reach_set).order_by(
            "rank", "name", "person_id"
        )
        return list(rows.values_list("person_id", "team_id", "rank")[offset : offset + limit])
    rows = (
        relations(reach_set, whole=whole)
        .filter(is_customer=True)
        .values("person_id", "person__name")
        .annotate(first_team=Min("team_id"), best=Min(KIND_ORDER))
        .order_by("best", "person__name", "person_id")
    )
    return list(rows.values_list("person_id", "first_team", "best")[offset : offset + limit])


def recipient_count(
    reach_set: ReachSet,
    *,
    include_lapsed: bool = False,  # pragma: no mutate (every caller passes it)
    whole: bool = False,  # pragma: no mutate (every caller passes it)
):
    """How many direct customers of the set have an e-mail address (and an active relation
    unless ``include_lapsed``)."""
    if reach_set.stored:
        return reach_set.recipients_all if include_lapsed else reach_set.recipients
    return recipients(reach_set, include_lapsed=include_lapsed, whole=whole).count()


def recipients(
    reach_set: ReachSet,
    *,
    include_lapsed: bool = False,  # pragma: no mutate (every caller passes it)
    whole: bool = False,  # pragma: no mutate (every caller passes it)
):
    """The set's direct customers with an e-mail address (only those with an active relation
    unless ``include_lapsed``), as people by name."""
    if reach_set.stored:
        rows = ReachSetPerson.objects.filter(reach_set=reach_set, has_email=1)
        if not include_lapsed:
            rows = rows.filter(active=True)
        return Person.objects.filter(pk__in=rows.values("person_id")).order_by("name", "pk")
    rel = relations(reach_set, whole=whole).filter(is_customer=True)
    if not include_lapsed:
        rel = rel.filter(active=True)
    return (
        Person.objects.filter(pk__in=rel.values("person_id"))
        .exclude(email="")
        .order_by("name", "pk")
    )


def recipient_page(
    reach_set: ReachSet,
    *,
    include_lapsed: bool = False,  # pragma: no mutate (every caller passes it)
    limit: int,
    offset: int = 0,  # pragma: no mutate (every caller passes it)
    whole: bool = False,  # pragma: no mutate (every caller passes it)
) -> list[dict]:
    """One page of the recipients, by name: each with ``person_id``, the best ``kind`` of their
    relations to the set's teams, their ``last`` evidence and whether they are ``lapsed`` (no
    active relation)."""
    if reach_set.stored:
        rows = ReachSetPerson.objects.filter(reach_set=reach_set, has_email=1)
        if not include_lapsed:
            rows = rows.filter(active=True)
        rows = rows.order_by("name", "person_id").values_list(
            "person_id", "rank", "last_evidence", "active"
        )
        return [
            {"person_id": p, "kind": RANK_KIND[r], "last": last, "lapsed": not active}
            for p, r, last, active in rows[offset : offset + limit]
        ]
    ids = list(
        recipients(reach_set, include_lapsed=include_lapsed, whole=whole).values_list(
            "pk", flat=True
        )[offset : offset + limit]
    )
    info = {
        p: (r, last, on)
        for p, r, last, on in relations(reach_set, whole=whole)
        .filter(is_customer=True, person_id__in=ids)
        .values("person_id")
        .annotate(
            best=Min(KIND_ORDER),
            last=Max("last_evidence"),
            on=Max(Cast("active", IntegerField())),
        )
        .order_by()
        .values_list("person_id", "best", "last", "on")
    }
    return [
        {
            "person_id": p,
            "kind": RANK_KIND[info[p][0]],
            "last": info[p][1],
            "lapsed": not info[p][2],
        }
        for p in ids
    ]


def languages(
    reach_set: ReachSet,
    *,
    include_lapsed: bool = False,  # pragma: no mutate (every caller passes it)
    whole: bool = False,  # pragma: no mutate (every caller passes it)
) -> list[tuple[str, int]]:
    """(``Person.language`` as written, recipients) of the set."""
    if reach_set.stored:
        field = "recipients_all" if include_lapsed else "recipients"
        rows = ReachSetLanguage.objects.filter(reach_set=reach_set).order_by("language")
        return [(code, n) for code, n in rows.values_list("language", field) if n]
    return list(
        recipients(reach_set, include_lapsed=include_lapsed, whole=whole)
        .order_by("language")
        .values_list("language")
        .annotate(n=Count("id"))
    )
