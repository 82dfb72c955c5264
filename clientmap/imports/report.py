"""What an import did (or, with ``check``, would do), shared by every import format."""

from __future__ import annotations

from dataclasses import dataclass, field

# Staging names shown under the names of their workbook files.
NAMES = {"members": "team_members"}


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

    def add(self, name: str, created: int, updated: int, unchanged: int) -> None:
        self.counts[name] = {"created": created, "updated": updated, "unchanged": unchanged}

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def as_dict(self) -> dict:
        return {
            "files": self.counts,
            "relations": self.relations,
            "check": self.checked_only,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
            "skipped": self.skipped,
            "cycles": self.cycles,
        }
