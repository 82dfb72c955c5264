"""Accounts and fit (K1) as JSON: placements with reasons, one account, history, moves;
staff: override, end an override, recompute, settings."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from clientmap.core.api_auth import STAFF
from clientmap.core.roles import is_staff
from clientmap.directory.models import Organization
from clientmap.fit import config, rules, selectors, services
from clientmap.fit.models import Group, Override

router = Router(tags=["fit"])


class PlacementOut(Schema):
    organization: str = Field(description="organization key")
    name: str
    group: int | None = Field(description="1–4 (with the override, if any); null: no data")
    computed_group: int | None
    group_name: str | None
    policy: str | None = Field(description="the group's service policy, in words")
    override: bool
    wants_us: float | None = Field(description="the customer wants us, 0–1; null: no data")
    we_want: float | None = Field(description="we want the customer, 0–1; null: no data")
    revenue: float = Field(description="paid invoices in the window (beside, never an axis)")
    diagnosis: str | None
    reasons: list[str]
    no_data: list[str] = Field(description="parts without data (they weigh nothing)")


class PartOut(Schema):
    part: str
    label: str
    no_data: bool
    value: float | str | None
    shown: str
    score: float | None
    count: float | None
    weight: float
    share: float = Field(description="share of the axis this part carries (0 without data)")
    rule: str


class OverrideOut(Schema):
    group: int
    reason: str
    expires: date
    created_by: str | None
    in_force: bool
    cleared: bool


class MoveOut(Schema):
    organization: str
    name: str
    from_group: int | None
    to_group: int | None


class AccountOut(PlacementOut):
    as_of: date | None
    wants_us_parts: list[PartOut]
    we_want_parts: list[PartOut]
    decision_makers: list[str] = Field(description="person keys deciding inside the window")
    timeline: list[dict]
    overrides: list[OverrideOut]


class OverrideIn(Schema):
    group: int
    reason: str
    expires: date


class RunOut(Schema):
    id: int
    as_of: date
    accounts: int
    seconds: float
    groups: dict[int, int]
    unplaced: int
    moves: int | None


def _placement(org_key: str, name: str, c: selectors.Current | None, cfg: dict) -> dict:
    if c is None:
        return {
            "organization": org_key,
            "name": name,
            "group": None,
            "computed_group": None,
            "group_name": None,
            "policy": None,
            "override": False,
            "wants_us": None,
            "we_want": None,
            "revenue": 0.0,
            "diagnosis": None,
            "reasons": [],
            "no_data": selectors.no_data_parts({}),
        }
    return {
        "organization": org_key,
        "name": name,
        "group": c.group,
        "computed_group": c.computed_group,
        "group_name": str(selectors.SHORT[c.group]) if c.group else None,
        "policy": str(selectors.POLICY[c.group]) if c.group else None,
        "override": c.override is not None,
        "wants_us": c.wants_us,
        "we_want": c.we_want,
        "revenue": float(c.revenue),
        "diagnosis": str(selectors.DIAGNOSIS[c.diagnosis]) if c.diagnosis else None,
        "reasons": selectors.reasons(c, cfg),
        "no_data": selectors.no_data_parts(c.parts),
    }


def placements(group: int | None = None) -> list[dict]:
    """Every account (or one group's), biggest revenue first within a group."""
    run = selectors.latest()
    cfg = selectors.run_config(run)
    placed = selectors.current(run=run)
    if group is not None:
        placed = {o: c for o, c in placed.items() if c.group == group}
    orgs = dict(Organization.objects.filter(pk__in=list(placed)).values_list("pk", "key"))
    names = dict(Organization.objects.filter(pk__in=list(placed)).values_list("pk", "name"))
    ordered = sorted(
        placed.values(), key=lambda c: (c.group or 9, -c.revenue, names[c.organization_id])
    )
    return [_placement(orgs[c.organization_id], names[c.organization_id], c, cfg) for c in ordered]


def account(org: Organization) -> dict:
    run = selectors.latest()
    cfg = selectors.run_config(run)
    c = selectors.current([org.pk], run=run).get(org.pk)
    ex = selectors.explain(c.parts if c else {}, cfg)
    today = selectors.as_of_today()
    return {
        **_placement(org.key, org.name, c, cfg),
        "as_of": run.as_of if run else None,
        "wants_us_parts": ex["wants_us"],
        "we_want_parts": ex["we_want"],
        "decision_makers": list(
            rules.decision_makers(org.pk, run.as_of if run else today, int(cfg["window_days"]))
            .order_by("key")
            .values_list("key", flat=True)
        ),
        "timeline": [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in t.items()}
            for t in selectors.timeline(org.pk)
        ],
        "overrides": [
            {
                "group": o.group,
                "reason": o.reason,
                "expires": o.expires,
                "created_by": o.created_by.get_username() if o.created_by else None,
                "in_force": o.cleared_at is None and o.expires >= today,
                "cleared": o.cleared_at is not None,
            }
            for o in Override.objects.filter(organization=org).select_related("created_by")
        ],
    }


def _staff(request) -> None:
    if not is_staff(request.auth):
        raise HttpError(403, "Only staff can do this.")


@router.get(
    "/accounts", response=list[PlacementOut], summary="Every account's group, scores and reasons"
)
def accounts(request, group: int | None = None):
    if group is not None and group not in Group.values:
        raise HttpError(400, "group must be 1, 2, 3 or 4")
    return placements(group)


@router.get(
    "/accounts/{path:key}",
    response=AccountOut,
    summary="One account: parts, reasons, timeline, overrides",
)
def account_detail(request, key: str):
    return account(get_object_or_404(Organization, key=key))


@router.post(
    "/overrides/{path:key}",
    response={201: AccountOut},
    summary="Override an account's group (staff)",
    auth=STAFF,
)
def override(request, key: str, payload: OverrideIn):
    _staff(request)
    org = get_object_or_404(Organization, key=key)
    try:
        services.override(
            org,
            group=payload.group,
            reason=payload.reason,
            expires=payload.expires,
            user=request.auth,
        )
    except ValidationError as exc:
        raise HttpError(
            400, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        ) from None
    return Status(201, account(org))


@router.delete(
    "/overrides/{path:key}",
    response=AccountOut,
    summary="End an account's override now (staff)",
    auth=STAFF,
)
def clear_override(request, key: str):
    _staff(request)
    org = get_object_or_404(Organization, key=key)
    services.clear(org, user=request.auth)
    return account(org)


@router.get(
    "/history", response=list[RunOut], summary="Recomputes with the count per group and the moves"
)
def history(request, limit: int = 50):
    return selectors.history(max(1, min(limit, 500)))


@router.get(
    "/moves", response=list[MoveOut], summary="Accounts that changed group since about a month ago"
)
def moves(request, days: int = 30):
    _since, rows = selectors.moves(days=max(1, days))
    return [
        {
            "organization": m["organization"].key,
            "name": m["organization"].name,
            "from_group": m["from"],
            "to_group": m["to"],
        }
        for m in rows
    ]


@router.post("/recompute", response=RunOut, summary="Recompute every account (staff)", auth=STAFF)
def recompute(request):
    _staff(request)
    run = rules.recompute()
    return selectors.history(1)[0] if run else None


@router.get("/settings", response=dict[str, float], summary="Weights and thresholds in force")
def get_settings(request):
    return config.current()


@router.put(
    "/settings",
    response=dict[str, float],
    summary="Change weights and thresholds (staff)",
    auth=STAFF,
)
def put_settings(request, payload: dict[str, float]):
    _staff(request)
    locked = config.file_values()
    clash = sorted(set(payload) & set(locked))
    if clash:
        raise HttpError(409, f"set by the deployment file: {', '.join(clash)}")
    try:
        return config.save({**config.stored_values(), **payload}, user=request.auth)
    except config.ConfigError as exc:
        raise HttpError(400, str(exc)) from None
