"""The customer figures of the overview and of a team, stored with the relations.

Made from the customer relations, in the same transaction as every recompute of them
(``rules.recompute``, scoped or whole — so they are current whenever the relations are, through
the relations' own entry in ``clientmap.core.derived``): one row per team (its customers,
active, prospects, by kind — counts of relations, one per person) and one for the whole
organization (distinct people, and relation counts), each rebuilt by one set-based statement.
A page reads its figures in one query instead of counting distinct people over every relation on
every request.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal

from clientmap.customers.models import (
    CustomerRelation,
    Kind,
    NobodysCustomer,
    OrganizationSummary,
    TeamSummary,
)
from clientmap.directory.models import Person

TABLE = "customer_relations"  # the derived table these figures are made from (rules.TABLE)

# Sent at the end of every rebuild, in the relations' transaction, with what was rebuilt:
# ``everyone`` (bool), ``person_ids`` and ``organization_ids`` (the people, and the people of
# those organizations, whose relations may have changed). Upper layers that store figures made
# from the relations (voice's weighted demand) bring them current here.
relations_rebuilt = Signal()


def rebuilt_scope() -> tuple[bool, list[int], list[int]]:
    """What the relations rebuild in progress was for: the changes ``core.derived`` recorded
    and has not consumed yet (a scoped rebuild); none left means a whole rebuild (it marks
    the table built, which consumes them) — or a direct call: everyone, to be safe."""
    from clientmap.core import derived
    from clientmap.core.models import StaleScope

    rows = list(
        StaleScope.objects.filter(name=TABLE).values_list(
            "everyone", "person_id", "organization_id"
        )
    )
    people = sorted({p for _e, p, _o in rows if p is not None})
    orgs = sorted({o for _e, _p, o in rows if o is not None})
    if not rows or any(e for e, _p, _o in rows) or len(people) + len(orgs) > derived.MAX_SCOPE_IDS:
        return True, [], []
    return False, people, orgs


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def rebuild() -> None:
    """Every team row and the organization row, from the relations as they are now."""
    rel = CustomerRelation._meta.db_table
    team_table = TeamSummary._meta.db_table
    org_table = OrganizationSummary._meta.db_table
    nobody_table = NobodysCustomer._meta.db_table
    person_table = Person._meta.db_table
    cust = "is_customer"
    paying = f"kind = '{Kind.EXTERNAL_PAYING.value}'"
    kinds = {
        "internal": f"{cust} AND kind = '{Kind.INTERNAL.value}'",
        "external_paying": f"{cust} AND {paying}",
        "external_nonpaying": f"{cust} AND kind = '{Kind.EXTERNAL_NONPAYING.value}'",
    }
    team_cols = {
        "customers": cust,
        "active": f"{cust} AND active",
        "prospects": f"NOT {cust}",
        **kinds,
        "active_paying": f"{cust} AND active AND {paying}",
    }
    person_cols = {
        "customers": cust,
        "active": f"{cust} AND active",
        "prospects": f"NOT {cust}",
        **kinds,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {team_table}")
        cursor.execute(
            f"INSERT INTO {team_table} (team_id, {', '.join(team_cols)}) "
            f"SELECT team_id, {', '.join(f'SUM({_flag(c)})' for c in team_cols.values())} "
            f"FROM {rel} GROUP BY team_id"
        )
        # The organization row is updated in place (inserted the first time), not deleted and
        # inserted: a person made meanwhile in another transaction adds one to ``people`` on
        # the row (``signals``), and that update must land on the row this one leaves.
        org_cols = [
            *person_cols,
            "relations",
            "active_relations",
            "prospect_relations",
            "teams_with_customers",
            "people",
        ]
        org_select = (
            f"{', '.join(f'COALESCE(SUM(p.{c}), 0)' for c in person_cols)}, "
            "COALESCE(SUM(p.n_customer), 0), COALESCE(SUM(p.n_active), 0), "
            f"COALESCE(SUM(p.n_prospect), 0), (SELECT COUNT(*) FROM {team_table} "
            f"WHERE customers > 0), (SELECT COUNT(*) FROM {person_table}) FROM ("
            f"SELECT person_id, {', '.join(f'MAX({_flag(c)}) AS {n}' for n, c in person_cols.items())}, "
            f"SUM({_flag(cust)}) AS n_customer, SUM({_flag(cust + ' AND active')}) AS n_active, "
            f"SUM({_flag('NOT ' + cust)}) AS n_prospect FROM {rel} GROUP BY person_id) p"
        )
        cursor.execute(
            f"UPDATE {org_table} SET ({', '.join(org_cols)}) = (SELECT {org_select}) WHERE id = 1"
        )
        if not cursor.rowcount:
            cursor.execute(
                f"INSERT INTO {org_table} (id, {', '.join(org_cols)}) SELECT 1, {org_select}"
            )
        # Nobody's customers: every person without a customer relation. A person made
        # meanwhile by another transaction adds its own row (``signals``): no conflict.
        cursor.execute(f"DELETE FROM {nobody_table}")
        cursor.execute(
            f"INSERT INTO {nobody_table} (person_id) SELECT p.id FROM {person_table} p "
            f"WHERE NOT EXISTS (SELECT 1 FROM {rel} r WHERE r.person_id = p.id AND r.{cust}) "
            "ON CONFLICT DO NOTHING"
        )
        everyone, people, orgs = rebuilt_scope()
        if everyone:
            # A whole rebuild: after a bulk load of requests (imports) or on a new day (the
            # windows move) — the overview's request figures are rebuilt with it.
            from clientmap.engagements import figures

            figures.rebuild()
        if relations_rebuilt.has_listeners():
            relations_rebuilt.send(
                sender=CustomerRelation,
                everyone=everyone,
                person_ids=people,
                organization_ids=orgs,
            )


def organization() -> OrganizationSummary:
    """The organization row (zeros before the first build)."""
    return OrganizationSummary.objects.filter(pk=1).first() or OrganizationSummary()


def person_made(person_id: int) -> None:
    """A new person (no relation yet): one more person, and nobody's customer. In the writing
    transaction, from the person signals; a bulk insert of people (an import) rebuilds instead."""
    OrganizationSummary.objects.filter(pk=1).update(people=F("people") + 1)
    NobodysCustomer.objects.bulk_create(
        [NobodysCustomer(person_id=person_id)], ignore_conflicts=True
    )


def person_deleted() -> None:
    """A person deleted: one fewer (its relations and its nobody's-customer row go by cascade;
    a deleted request or involvement of theirs marks the relations stale as usual)."""
    OrganizationSummary.objects.filter(pk=1, people__gt=0).update(people=F("people") - 1)


def team(team_id: int) -> TeamSummary:
    return TeamSummary.objects.filter(team_id=team_id).first() or TeamSummary(team_id=team_id)
