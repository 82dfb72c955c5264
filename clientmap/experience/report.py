"""The satisfaction report shared by the pages, the CLI and the API: figures per group with
names and keys, and the monthly trend. JSON-ready through ``as_json``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from clientmap.catalog.models import Service
from clientmap.customers.models import Kind
from clientmap.directory.models import Organization, Team
from clientmap.experience import rules, selectors
from clientmap.experience.selectors import Figures

SORTS = ("answers", "csat", "promises", "name")


@dataclass
class Row:
    key: str | None
    name: str
    figures: Figures
    team_key: str | None = None  # for links to the team's experience page

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, **self.figures.as_dict()}


def months_of(as_of: date, window_days: int) -> list[str]:
    first = as_of - timedelta(days=window_days - 1)
    y, m = first.year, first.month
    out = []
    while (y, m) <= (as_of.year, as_of.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _names(by: str, keys: list) -> dict:
    ids = [k for k in keys if k is not None]
    if by == "team":
        return {
            i: (key, name, key)
            for i, key, name in Team.objects.filter(pk__in=ids).values_list("id", "key", "name")
        }
    if by == "service":
        return {
            i: (key, name, tkey)
            for i, key, name, tkey in Service.objects.filter(pk__in=ids).values_list(
                "id", "key", "name", "team__key"
            )
        }
    if by == "organization":
        return {
            i: (key, name, None)
            for i, key, name in Organization.objects.filter(pk__in=ids).values_list(
                "id", "key", "name"
            )
        }
    if by == "kind":
        return {k: (k, str(label), None) for k, label in Kind.choices}
    return {0: (None, _("Everyone"), None)}


def _sort_key(sort: str):
    if sort == "csat":
        return lambda r: (
            r.figures.answers.csat is None,
            -(r.figures.answers.csat or 0),
            r.name.lower(),
        )
    if sort == "promises":
        return lambda r: (
            r.figures.promises.kept_share is None,
            r.figures.promises.kept_share or 0,
            r.name.lower(),
        )
    if sort == "name":
        return lambda r: r.name.lower()
    return lambda r: (
        -(r.figures.answers.answers + r.figures.promises.due),
        r.name.lower(),
    )


def table(
    by: str = "team",
    *,
    team: Team | None = None,
    as_of: date | None = None,
    window_days: int | None = None,
    sort: str = "answers",
) -> list[Row]:
    """Every group with an answer, a survey sent or a promise due in the window."""
    as_of = as_of or timezone.localdate()
    team_ids = [team.pk] if team is not None else None
    found = selectors.figures(by, as_of=as_of, window_days=window_days, team_ids=team_ids)
    names = _names(by, list(found))
    rows = []
    for k, fig in found.items():
        key, name, team_key = names.get(k, (None, _("(none)"), None))
        rows.append(Row(key if by != "all" else None, name, fig, team_key))
    rows.sort(key=_sort_key(sort if sort in SORTS else "answers"))
    return rows


def trend(
    *,
    team: Team | None = None,
    org_ids: list[int] | None = None,
    as_of: date | None = None,
    window_days: int | None = None,
) -> dict:
    """CSAT, promises kept and response rate per month, for everyone or one team."""
    as_of = as_of or timezone.localdate()
    window_days = window_days or rules.window_days()
    found = selectors.figures(
        "all",
        as_of=as_of,
        window_days=window_days,
        team_ids=[team.pk] if team is not None else None,
        org_ids=org_ids,
        monthly=True,
    )
    months = months_of(as_of, window_days)
    per = [found.get((0, m), Figures()) for m in months]
    return {
        "months": months,
        "rows": [{"month": m, **f.as_dict()} for m, f in zip(months, per, strict=True)],
        "csat": [f.answers.csat for f in per],
        "kept": [f.promises.kept_share for f in per],
        "response": [f.responses.rate for f in per],
    }


def total(rows: list[Row]) -> Figures:
    """Everyone's figures from a table's groups: every count is additive and the groups of one
    grouping partition the rows (a row without team or service is the "(none)" group)."""
    out = Figures()
    for r in rows:
        out = out + r.figures
    return out


def as_json(rows: list[Row]) -> list[dict]:
    return [r.as_dict() for r in rows]
