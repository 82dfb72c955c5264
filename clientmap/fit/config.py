"""Weights and thresholds of the fit rule (K1): defaults < settings page (DB) < deployment file.

The deployment file is TOML, named by ``CLIENTMAP_FIT_FILE`` (or ``CLIENTMAP["FIT_FILE"]``),
with flat keys as in :data:`PARAMETERS` (optionally under a ``[fit]`` table). Values set there
win over the settings page, which shows them as locked. docs/fit.md explains every default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Parameter:
    key: str
    default: float
    kind: str  # "weight_a" (customer wants us), "weight_b" (we want the customer), "threshold"
    label: object
    minimum: float = 0.0
    maximum: float = 1000.0


PARAMETERS: list[Parameter] = [
    # the customer wants us
    Parameter("w_satisfaction", 3, "weight_a", _("Satisfaction level")),
    Parameter("w_trend", 1, "weight_a", _("Satisfaction trend")),
    Parameter("w_promises", 2, "weight_a", _("Promises kept")),
    Parameter("w_attestations", 1, "weight_a", _("Attestations")),
    Parameter("w_repeat", 1, "weight_a", _("Repeat requests")),
    Parameter("w_intent", 2, "weight_a", _("Explicit intent")),
    # we want the customer
    Parameter("w_overdue_amount", 2, "weight_b", _("Overdue receivables (amount)")),
    Parameter("w_overdue_days", 1, "weight_b", _("Overdue receivables (days)")),
    Parameter("w_chronic", 2, "weight_b", _("Chronic debt")),
    Parameter("w_approvals", 2, "weight_b", _("Approval delays")),
    Parameter("w_decision_makers", 1, "weight_b", _("Decision makers")),
    Parameter("w_friendliness", 2, "weight_b", _("Friendliness")),
    Parameter("w_reputation", 1, "weight_b", _("Reputation value")),
    # thresholds
    Parameter("wants_us_threshold", 0.6, "threshold", _("Customer wants us from (score)"), 0, 1),
    Parameter("we_want_threshold", 0.6, "threshold", _("We want the customer from (score)"), 0, 1),
    Parameter("window_days", 365, "threshold", _("Window (days)"), 7, 3660),
    Parameter(
        "trend_span", 0.2, "threshold", _("Trend that scores 0 or 1 (change of share)"), 0.01, 1
    ),
    Parameter(
        "repeat_target", 3, "threshold", _("Agreed requests in the window that score 1"), 2, 1000
    ),
    Parameter(
        "overdue_share_bad", 0.3, "threshold", _("Overdue share of invoiced that scores 0"), 0.01, 1
    ),
    Parameter("overdue_days_bad", 60, "threshold", _("Mean days late that score 0"), 1, 3650),
    Parameter("chronic_months", 12, "threshold", _("Months looked at for chronic debt"), 2, 60),
    Parameter(
        "chronic_share",
        0.5,
        "threshold",
        _("Share of months late that makes debt chronic"),
        0.01,
        1,
    ),
    Parameter(
        "approval_ok_days", 3, "threshold", _("Median approval days that still score 1"), 0, 365
    ),
    Parameter(
        "approval_bad_days", 30, "threshold", _("Median approval days that score 0"), 1, 3650
    ),
    Parameter(
        "decision_makers_ideal", 2, "threshold", _("Decision makers that are still ideal"), 1, 100
    ),
    Parameter("decision_makers_bad", 7, "threshold", _("Decision makers that score 0"), 2, 1000),
    Parameter(
        "reputation_target", 2, "threshold", _("Referrals in the window that score 1"), 0.5, 1000
    ),
    Parameter("promises_ok", 0.7, "threshold", _("Promises kept below this: missed"), 0, 1),
    Parameter("satisfaction_ok", 0.6, "threshold", _("Satisfaction below this: low"), 0, 1),
]
BY_KEY = {p.key: p for p in PARAMETERS}
DEFAULTS = {p.key: float(p.default) for p in PARAMETERS}


class ConfigError(ValueError):
    pass


def _file_path() -> Path | None:
    name = os.environ.get("CLIENTMAP_FIT_FILE") or settings.CLIENTMAP.get("FIT_FILE")
    return Path(name) if name else None


def file_values() -> dict[str, float]:
    """The deployment file's values (checked); {} without a file."""
    path = _file_path()
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    data = data.get("fit", data)
    return validate(data, where=str(path))


def validate(data: dict, *, where: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    prefix = f"{where}: " if where else ""
    for key, value in data.items():
        p = BY_KEY.get(key)
        if p is None:
            raise ConfigError(f"{prefix}{key}: unknown setting")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{prefix}{key}: {value!r} is not a number") from None
        if not p.minimum <= number <= p.maximum:
            raise ConfigError(f"{prefix}{key}: {number} is outside {p.minimum}…{p.maximum}")
        out[key] = number
    return out


def stored_values() -> dict[str, float]:
    from clientmap.fit.models import FitSettings

    row = FitSettings.objects.order_by("pk").first()
    if row is None:
        return {}
    return {k: float(v) for k, v in row.values.items() if k in BY_KEY}


def current() -> dict[str, float]:
    """The values in force."""
    return {**DEFAULTS, **stored_values(), **file_values()}


def save(values: dict, user=None) -> dict[str, float]:
    """Store the page's values (only those that differ from the defaults)."""
    from clientmap.fit.models import FitSettings

    checked = validate(values)
    changed = {k: v for k, v in checked.items() if v != DEFAULTS[k]}
    row = FitSettings.objects.order_by("pk").first() or FitSettings()
    row.values = changed
    row.changed_by = user if user is not None and user.is_authenticated else None
    row.save()
    return current()
