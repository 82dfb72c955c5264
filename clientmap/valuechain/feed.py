"""Alert feeds (V2): parse a CSV or JSON file of alerts and rank them by customer impact.

An alert has a key, the service or component it is about, a severity, a time and a text.
The component is resolved to a service by key, then by name (both case-insensitive); alerts
whose component is unknown are *reported*, never dropped silently.

Ranking (most important first): paying customers reached directly (not merely through the home
organization, whose paying customers fund everything), then paying customers reached at all, then the best fit group of the
accounts reached (when accounts exist), then revenue touched (when revenue data exists; 0
otherwise), then direct customers (C1 people of the affected teams), then severity; ties keep
the feed's order. So an alert that reaches paying customers ranks above a louder one that
reaches nobody — the monitoring team's thousands of red alerts, triaged by impact, not by eye.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
from django.utils.translation import gettext as _

from clientmap.core import hooks
from clientmap.customers.models import CustomerRelation
from clientmap.valuechain.graph import SERVICE, TEAM, ValueGraph, load_graph

# Header synonyms of common monitoring exports (Zabbix, Nagios, Prometheus Alertmanager, ServiceNow).
COLUMNS = {
    "key": ("key", "id", "alert", "alert_id", "number", "event_id", "eventid"),
    "component": (
        "component",
        "service",
        "ci",
        "cmdb_ci",
        "configuration_item",
        "host",
        "node",
        "resource",
        "source",
    ),
    "severity": ("severity", "priority", "level", "urgency"),
    "time": ("time", "timestamp", "date", "datetime", "opened", "opened_at", "starts_at"),
    "text": ("text", "message", "description", "summary", "short_description", "title"),
}

SEVERITY = {
    "disaster": 5,
    "fatal": 5,
    "critical": 5,
    "crit": 5,
    "p1": 5,
    "high": 4,
    "major": 4,
    "error": 4,
    "p2": 4,
    "average": 3,
    "medium": 3,
    "moderate": 3,
    "minor": 3,
    "p3": 3,
    "warning": 2,
    "warn": 2,
    "low": 2,
    "p4": 2,
    "info": 1,
    "information": 1,
    "informational": 1,
    "notice": 1,
    "p5": 1,
    "ok": 0,
    "clear": 0,
    "resolved": 0,
}


class AlertFeedError(ValueError):
    """A feed that cannot be read; the message names the line."""


@dataclass
class Alert:
    key: str
    component: str
    severity: str = ""
    time: str = ""
    text: str = ""
    line: int = 0


def severity_rank(severity: str) -> int:
    """0 (clear) … 5 (critical); numbers are taken as they are (ServiceNow's 1 = critical is not
    guessed: give words when the scale is inverted)."""
    s = (severity or "").strip().lower()
    if s in SEVERITY:
        return SEVERITY[s]
    try:
        return int(float(s))
    except ValueError:
        return 0


def _pick(row: dict, field: str) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for name in COLUMNS[field]:
        value = lowered.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _alerts(rows: Iterable[tuple[int, dict]]) -> list[Alert]:
    out = []
    for line, row in rows:
        if not isinstance(row, dict):
            raise AlertFeedError(_("Line %(line)d: an alert must be an object.") % {"line": line})
        component = _pick(row, "component")
        if not component:
            raise AlertFeedError(
                _("Line %(line)d: the alert names no service or component.") % {"line": line}
            )
        out.append(
            Alert(
                key=_pick(row, "key") or str(line),
                component=component,
                severity=_pick(row, "severity"),
                time=_pick(row, "time"),
                text=_pick(row, "text"),
                line=line,
            )
        )
    return out


def parse_alerts(content: str | bytes, *, filename: str = "") -> list[Alert]:
    """Alerts of a CSV (header row, comma or semicolon) or JSON (a list, or ``{"alerts": [...]}``)
    feed. ``line`` is the CSV line, or the 1-based position in the JSON list."""
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    text = content.lstrip("\ufeff")
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AlertFeedError(
                _("Line %(line)d: not valid JSON (%(error)s).")
                % {"line": exc.lineno, "error": exc.msg}
            ) from exc
        if isinstance(data, dict):
            data = data.get("alerts", [data] if _pick(data, "component") else [])
        if not isinstance(data, list):
            raise AlertFeedError(_("Line 1: expected a list of alerts."))
        return _alerts(enumerate(data, start=1))
    if not stripped:
        return []
    # Only the delimiter is guessed (from the header); quoting is always the standard one
    # ("" inside a quoted cell), which a one-line sniff would otherwise get wrong.
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = {h.strip().lower() for h in reader.fieldnames or []}
    if not headers & set(COLUMNS["component"]):
        raise AlertFeedError(
            _("Line 1: no service or component column (expected one of: %(names)s).")
            % {"names": ", ".join(COLUMNS["component"])}
        )
    return _alerts((reader.line_num, row) for row in reader)


def parse_alerts_dicts(rows: list[dict], *, start: int = 1) -> list[Alert]:
    """Alerts given as dicts (the API body); ``line`` is the position, from ``start``."""
    return _alerts(enumerate(rows, start=start))


def revenue_by_organization() -> dict[int, float]:
    """Revenue per organization id, when account data exists (the ``revenue_by_organization``
    hook of ``clientmap.core.hooks``; ``{}`` — every organization 0 — until an app provides it)."""
    return hooks.revenue_by_organization()


def fit_group_by_organization() -> dict[int, int]:
    """Fit group (1 = key customer … 4) per organization id: the ``fit_group_by_organization``
    hook of ``clientmap.core.hooks``, which the fit app provides (``{}`` until it does)."""
    return hooks.fit_group_by_organization()


def _resolver(g: ValueGraph):
    first, last = g.offsets[SERVICE], g.offsets[SERVICE + 1]
    by_key = {g.keys[i].lower(): i for i in range(first, last)}
    by_name: dict[str, int] = {}
    for i in range(first, last):
        by_name.setdefault(g.names[i].strip().lower(), i)

    def resolve(component: str) -> int:
        c = component.strip().lower()
        return by_key.get(c, by_name.get(c, -1))

    return resolve


def rank_alerts(alerts: list[Alert], *, graph: ValueGraph | None = None) -> dict:
    """Rank ``alerts`` by customer impact; report those whose component is unknown."""
    g = graph or load_graph()
    resolve = _resolver(g)
    nodes = [resolve(a.component) for a in alerts]
    distinct = sorted({n for n in nodes if n >= 0})

    reached: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
    all_teams: set[int] = set()
    for s in distinct:
        order, _pred = g.bfs([s])
        dorder, _dpred = g.bfs([s], direct=True)
        teams = g.of_type(order, TEAM)
        paying = order[g.paying[order]]
        direct = dorder[g.paying[dorder]]
        paying = np.concatenate([direct, paying[~np.isin(paying, direct)]])
        reached[s] = (paying, direct, teams, int(len(g.of_type(order, SERVICE))))
        all_teams.update(int(x) for x in g.db_id[teams])

    # Direct customers: one read of (team, person) for every team any alert affects.
    rows = np.asarray(
        list(
            CustomerRelation.objects.filter(is_customer=True, team_id__in=sorted(all_teams))
            .order_by()
            .values_list("team_id", "person_id")
        )
        if all_teams
        else [],
        dtype=np.int64,
    ).reshape(-1, 2)
    revenue = revenue_by_organization()
    fit = fit_group_by_organization()

    ranked, unknown = [], []
    for position, (alert, node) in enumerate(zip(alerts, nodes, strict=True)):
        if node < 0:
            unknown.append({**asdict(alert), "reason": _("unknown service or component")})
            continue
        paying, direct, teams, services = reached[node]
        team_ids = g.db_id[teams]
        people = rows[np.isin(rows[:, 0], team_ids), 1] if len(rows) else rows[:0, 1]
        org_ids = [int(x) for x in g.db_id[paying]]
        groups = [fit[o] for o in org_ids if o in fit]
        ranked.append(
            {
                "alert": asdict(alert),
                "service": g.label(node),
                "paying_customers": int(len(paying)),
                "paying_direct": int(len(direct)),
                "paying": [g.keys[i] for i in paying[:20].tolist()],
                "paying_names": [g.names[i] for i in paying[:20].tolist()],
                "fit_group": min(groups) if groups else None,
                "revenue": float(sum(revenue.get(o, 0) for o in org_ids)),
                "direct_customers": int(len(np.unique(people))),
                "severity_rank": severity_rank(alert.severity),
                "services_affected": services,
                "teams_affected": int(len(teams)),
                "_position": position,
            }
        )
    ranked.sort(
        key=lambda r: (
            -r["paying_direct"],
            -r["paying_customers"],
            r["fit_group"] if r["fit_group"] is not None else 99,
            -r["revenue"],
            -r["direct_customers"],
            -r["severity_rank"],
            r["_position"],
        )
    )
    for rank, r in enumerate(ranked, start=1):
        r["rank"] = rank
        del r["_position"]
    return {"ranked": ranked, "unknown": unknown}
