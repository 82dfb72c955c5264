"""One error type for every import: what is wrong and exactly where.

Every reader (the workbook and the files other areas add to it, mapped exports through any
preset or mapping, uploads run as jobs) reports a bad input as a :class:`RowError` — file, line,
column, value, message and hint — and a refused import raises :class:`ImportFailed` with the
list of them; nothing is written then. ``workbook.WorkbookError`` is the same class.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RowError(Exception):
    """A bad value in an input file. ``line`` is the 1-based physical line (the header is line 1)."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    hint: str | None = None  # what probably went wrong ("an unclosed quote?")

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column!r}"
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{value}{hint}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "hint": self.hint,
        }

    def as_kwargs(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "hint": self.hint,
        }


class ImportFailed(Exception):
    """The input has problems; nothing was written. ``errors`` says what and where."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
