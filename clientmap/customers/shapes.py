"""The plain-data shapes of the customer concepts, defined once.

The API (``customers/api.py``: its schemas validate these dicts), the CLI's ``--json``
(``customers`` and ``customer_of`` commands) and any other caller build their output here, so a
relation looks the same everywhere. Dates are ``date`` objects: the API serialises them, the CLI
dumps them with ``DjangoJSONEncoder`` (ISO 8601).

Three counts of evidence, three names (never "evidence_count" for two of them):

* ``request_count`` / ``involvement_count`` — agreed requests, involvements;
* ``customer_evidence`` (model property) — the evidence that makes a customer: agreed requests
  plus involvements;
* ``evidence_total`` (model property) — every item on the relation's evidence page: the above
  plus declined or not-yet-agreed requests (``prospect_request_count``). The API and CLI publish
  it under the key ``evidence_count`` (kept for compatibility).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from clientmap.core import hooks
from clientmap.customers.models import CustomerRelation


def relation(r: CustomerRelation, badge: dict | None = None) -> dict:
    """One (team, person) relation, seen from the team: who, what kind, why, since when, and
    the fit badge of the person's organization (``badge``, from ``hooks.account_badges``)."""
    return {
        "fit": hooks.badge_payload(badge),
        "team": r.team.key if "team" in r._state.fields_cache else None,
        "person": r.person.key,
        "name": r.person.name,
        "organization": r.person.organization.key,
        "kind": r.kind,
        "basis": r.basis,
        "active": r.active,
        "first_evidence": r.first_evidence,
        "last_evidence": r.last_evidence,
        "request_count": r.request_count,
        "involvement_count": r.involvement_count,
        "declined_or_pending_requests": r.prospect_request_count,
        "evidence_count": r.evidence_total,
    }


def relations(rows: Iterable[CustomerRelation]) -> list[dict]:
    """Several relations, with their organizations' fit badges read in one go."""
    rows = list(rows)
    badges = hooks.account_badges_for(r.person.organization_id for r in rows)
    return [relation(r, badges.get(r.person.organization_id)) for r in rows]


def team_relation(r: CustomerRelation) -> dict:
    """One relation seen from the person: which team, what kind, why, since when."""
    return {
        "team": r.team.key,
        "team_name": r.team.name,
        "kind": r.kind,
        "basis": r.basis,
        "active": r.active,
        "first_evidence": r.first_evidence,
        "last_evidence": r.last_evidence,
        "request_count": r.request_count,
        "involvement_count": r.involvement_count,
    }


def person_answer(answer) -> dict:
    """ "Whose customer is P?" — a ``selectors.PersonAnswer``."""
    p = answer.person
    return {
        "person": {"key": p.key, "name": p.name, "organization": p.organization.key},
        "is_customer": answer.is_customer,
        "customer_of": [team_relation(r) for r in answer.relations],
        "prospect_of": [team_relation(r) for r in answer.prospects],
        "reasons": answer.reasons,
        "fit": hooks.badge_payload(hooks.account_badge(p.organization_id)),
    }


def evidence_item(item) -> dict:
    """One request or involvement behind a relation (``selectors.EvidenceItem``)."""
    return dataclasses.asdict(item)
