"""What an import did (or, with ``check``, would do), shared by every import format."""

from __future__ import annotations

from dataclasses import dataclass, field

# Staging names shown under the names of their workbook files.
NAMES = {"members": "team_members"}
# Every report lists these, in this order, even when a run did not touch them (stable keys).
CORE = (
    "organizations",
    "units",
    "people",
    "teams",
    "team_members",
    "services",
    "consumes",
    "requests",
    "involvements",
)
NO_HOME = (
    "no organization is marked as home (organizations.csv: home = yes): every customer is "
    "counted as external (C2) and nobody as internal"
)


class Rollback(Exception):
    """Raised inside the import transaction to undo a ``check`` run."""


@dataclass
class Report:
    """Per kind of record: created / updated / unchanged; plus what was set aside."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    relations: int | None = None
    checked_only: bool = False
    rejected: int = 0
    rejects: list = field(default_factory=list)
    rejects_file: str | None = None
    cycles: list = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    read: dict[str, dict[str, int]] = field(default_factory=dict)  # file -> records vs lines
    ignored: list[str] = field(default_factory=list)  # unknown files left alone
    absent_optional: list[str] = field(default_factory=list)  # optional columns not in the file
    warnings: list[str] = field(default_factory=list)

    def add(self, name: str, created: int, updated: int, unchanged: int) -> None:
        self.counts[name] = {"created": created, "updated": updated, "unchanged": unchanged}

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def stable_counts(self) -> dict[str, dict[str, int]]:
        zero = {"created": 0, "updated": 0, "unchanged": 0}
        out = {name: dict(self.counts.get(name, zero)) for name in CORE}
        out.update({k: v for k, v in self.counts.items() if k not in out})
        return out

    def as_dict(self) -> dict:
        return {
            "files": self.stable_counts(),
            "read": self.read,
            "ignored_files": self.ignored,
            "absent_optional_columns": self.absent_optional,
            "warnings": self.warnings,
            "relations": self.relations,
            "check": self.checked_only,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
            "skipped": self.skipped,
            "cycles": self.cycles,
        }


def home_warnings() -> list[str]:
    """Warnings about the stored world after an import (inside its transaction)."""
    from clientmap.directory.models import Organization, Person

    if Person.objects.exists() and not Organization.objects.filter(is_home=True).exists():
        return [NO_HOME]
    return []
