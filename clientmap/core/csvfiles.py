"""CSV files: the ones people open in a spreadsheet, and the lossless workbook export.

**Spreadsheet CSV** (downloads in the UI, rejected rows): a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel, LibreOffice
or Google Sheets (``=HYPERLINK("http://x","click")``). :func:`neutralise` prefixes such a cell
with an apostrophe, which spreadsheets show as text. Numbers (int, float, Decimal) are left as
they are. A cell that already starts with apostrophes followed by one of those characters gets
one more apostrophe, so the rule can be undone exactly.

**Lossless export** (``clientmap export``): values are written as they are, formulas included;
only a value made of apostrophes followed by one of those characters gets one more apostrophe
(:func:`escape_exact`). The importers apply :func:`restore` to every cell, which removes one
leading apostrophe before such a character: an export, and a neutralised download edited in a
spreadsheet, both import back to the exact values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse

_TRIGGERED = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet should see it: never a live formula."""
    if isinstance(value, str) and _TRIGGERED.match(value):
        return "'" + value
    return value


def escape_exact(value: Any) -> Any:
    """The cell for the lossless export: exact, unless it could be read back as neutralised."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo :func:`neutralise` (and :func:`escape_exact`) on a cell read from a CSV file."""
    if value and value[0] == "'" and _ESCAPED.match(value):
        return value[1:]
    return value


def spreadsheet_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise("" if v is None else v) for v in row]


def write_spreadsheet_csv(fh, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a CSV meant for a spreadsheet (cells neutralised). Returns the rows written."""
    w = csv.writer(fh)
    w.writerow(spreadsheet_row(header))
    n = 0
    for row in rows:
        w.writerow(spreadsheet_row(row))
        n += 1
    return n


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV download for a spreadsheet, streamed row by row: UTF-8 with a byte-order mark
    (Excel then reads it as UTF-8), every cell neutralised, a safe file name."""
    safe = re.sub(r"[^\w.\-]+", "_", filename, flags=re.ASCII).strip("._") or "export"
    w = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + w.writerow(spreadsheet_row(header))
        for row in rows:
            yield w.writerow(spreadsheet_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe[:100]}.csv"'
    return response
