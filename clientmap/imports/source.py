"""Reading delimited text strictly: every record accounted for, every malformed one named.

The CSV readers of most tools are forgiving in a way that loses data: one unclosed ``"`` makes
them swallow every line up to the next quote and carry on. :class:`Records` reads a file record by
record and stops — with the line where the bad record *started*, the column, and a hint — when

* a record has more or fewer fields than the header ("row has 8 fields, header has 7");
* a quoted field spans more than ``max_field_lines`` lines or ``max_field_bytes`` bytes;
* the file ends inside a quoted field;
* a value holds a NUL character (byte 0), which PostgreSQL refuses in any text.

It also counts what it read, so that every import can say "N records from M physical lines".
``delimiter="whitespace"`` splits on runs of blanks (space-aligned, fixed-width-like exports).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from clientmap.imports.errors import RowError

MAX_FIELD_LINES = 50  # a quoted value longer than this many lines is almost surely a stray quote
MAX_FIELD_BYTES = 1 << 20
WHITESPACE = "whitespace"
UNCLOSED = "an unclosed quote?"
# Characters no database column can hold: PostgreSQL refuses U+0000 in any text value (COPY
# and INSERT alike raise), so it is refused on every database, with its place, before staging.
REFUSED = "\x00"
NUL_MESSAGE = "a NUL character (byte 0) in a value: no text column can store it"
NUL_HINT = "a binary file, or UTF-16 text? (save the sheet as CSV UTF-8)"

csv.field_size_limit(64 * 1024 * 1024)


class _Counting(io.RawIOBase):
    """Counts the compressed/raw bytes read, for a progress bar with an ETA."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.done = 0
        self.nul = False  # a 0 byte was read (after decompression): values must be checked

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.raw.readinto(b)
        self.done += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _NulWatch(io.BufferedIOBase):
    """Passes a binary stream on, noting on ``counter.nul`` whether a chunk held a 0 byte: one
    C-speed test per chunk, so that only a file holding one has its values checked one by one."""

    def __init__(self, inner: BinaryIO, counter: _Counting):
        self.inner = inner
        self.counter = counter

    def readable(self) -> bool:
        return True

    def _seen(self, data: bytes) -> bytes:
        if b"\x00" in data:
            self.counter.nul = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._seen(self.inner.read(size))

    def read1(self, size: int = -1) -> bytes:
        return self._seen(self.inner.read1(size))

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_text(path: Path, encoding: str) -> tuple[io.TextIOWrapper, _Counting]:
    """A text stream of ``path`` (``.gz`` decompressed) and a counter of the bytes read (which
    also notes a 0 byte: give it to :class:`Records` as ``watch``)."""
    raw = _Counting(open(path, "rb"))  # noqa: SIM115 — closed by the caller through the wrapper
    buffered = io.BufferedReader(raw, 1 << 20)
    stream: BinaryIO = buffered
    if path.suffix == ".gz":
        stream = gzip.GzipFile(fileobj=buffered)  # type: ignore[assignment]
    watched = _NulWatch(stream, raw)
    return io.TextIOWrapper(watched, encoding=encoding, newline=""), raw  # type: ignore[arg-type]


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """While a file is read into staging: no cyclic garbage collection.

    Reading makes millions of small tuples and dicts that live until staged; the collector's
    passes over them found nothing to free and cost a fifth of the reading time. Reference
    counting still frees everything as usual; the collector runs again (once) afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            gc.collect(1)


@dataclass
class Tally:
    """What was read from one file: records against physical lines, so a gap shows."""

    lines: int = 0  # physical lines, the header included
    records: int = 0  # data records (the header excluded)
    blank: int = 0  # blank lines skipped
    continued: int = 0  # extra lines of records whose quoted values hold line breaks
    header_lines: int = 1

    def as_dict(self) -> dict[str, int]:
        return {
            "lines": self.lines,
            "records": self.records,
            "blank_lines": self.blank,
            "continuation_lines": self.continued,
        }

    @property
    def balanced(self) -> bool:
        """Every physical line is the header, a record, a blank line or a record's continuation."""
        return self.lines == self.header_lines + self.records + self.blank + self.continued


class Malformed(Exception):
    """The file cannot be split into records; carries the :class:`RowError`."""

    def __init__(self, error: RowError):
        self.error = error
        super().__init__(str(error))


class Records:
    """Iterate ``(line, fields)`` over a delimited text stream, strictly.

    ``line`` is the physical line (1-based) where the record starts. The first record is the
    header (``header`` afterwards) unless ``columns`` names them. Raises :class:`Malformed`.
    """

    def __init__(
        self,
        text: io.TextIOBase,
        file: str,
        *,
        delimiter: str = ",",
        columns: list[str] | None = None,
        max_field_lines: int = MAX_FIELD_LINES,
        max_field_bytes: int = MAX_FIELD_BYTES,
        reopen: Callable[[], io.TextIOBase] | None = None,
        watch: _Counting | None = None,
    ):
        self.reopen = reopen  # to find the column of a record that could not be split
        self.file = file
        self.delimiter = delimiter
        self.max_field_lines = max_field_lines
        self.max_field_bytes = max_field_bytes
        self.tally = Tally(header_lines=0 if columns else 1)
        self.header: list[str] = list(columns or [])
        self._given = columns is not None and bool(columns)
        # A refused character: ``watch`` (from open_text) notes a 0 byte in the bytes read, at no
        # cost per line; without it, each line is tested as it is read.
        self.watch = watch
        self._refused = False  # a line holding a refused character was read
        lines: Iterator[str] = text if watch is not None else self._watch(text)
        if delimiter == WHITESPACE:
            lines = (ln.strip().replace("\t", " ") + "\n" for ln in lines)
            self._reader = csv.reader(lines, delimiter=" ", skipinitialspace=True, strict=True)
        else:
            self._reader = csv.reader(lines, delimiter=delimiter, strict=True)

    def _watch(self, text: Iterator[str]) -> Iterator[str]:
        """The lines of ``text``, noting one that holds a refused character (a C-speed test)."""
        for ln in text:
            if REFUSED in ln:
                self._refused = True
            yield ln

    def _refuse(self, line: int, fields: list[str]) -> None:
        """Stop at the first value of this record holding a refused character."""
        for i, f in enumerate(fields):
            if REFUSED in f:
                column = self._column(i) if self.header or self._given else f"#{i + 1}"
                self.fail(line, column, _clip(f), NUL_MESSAGE, NUL_HINT)
        if self.watch is None:
            self._refused = False  # it was in a part of the line the reader dropped

    def fail(
        self,
        line: int,
        column: str | None,
        value: str | None,
        message: str,
        hint: str | None = UNCLOSED,
    ) -> None:
        raise Malformed(RowError(self.file, line, column, value, message, hint))

    def _column(self, i: int) -> str:
        if i < len(self.header):
            return self.header[i] or f"#{i + 1}"
        return f"#{i + 1} (beyond the header)"

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        tally = self.tally
        watch = self.watch
        end = 0  # physical line where the previous record ended
        width = len(self.header) if self._given else None
        try:
            for fields in reader:
                start = end + 1
                end = reader.line_num
                span = end - start
                if span:
                    self._check_span(start, end, fields)
                if watch.nul if watch is not None else self._refused:
                    self._refuse(start, fields)
                if width is None:
                    self.header = [h.strip().lstrip("\ufeff") for h in fields]
                    width = len(fields)
                    if span:
                        tally.continued += span
                    continue
                if len(fields) != width:
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        tally.blank += 1 + span
                        continue
                    self._count_mismatch(start, span, fields, width)
                tally.records += 1
                if span:
                    tally.continued += span
                yield start, fields
        except csv.Error as exc:
            start = end + 1
            column, value = self._locate(start)
            if "unexpected end of data" in str(exc):
                self.fail(
                    start,
                    column,
                    value,
                    f"the file ends inside a quoted value that starts on line {start}",
                )
            if "field larger than field limit" in str(exc):
                self.fail(start, column, value, "a value is larger than 64 MB")
            self.fail(start, column, value, f"malformed CSV: {exc}")
        tally.lines = end

    def _locate(self, start: int) -> tuple[str | None, str | None]:
        """The column where the quoting of the record on line ``start`` goes wrong."""
        if self.reopen is None:
            return None, None
        with self.reopen() as text:
            for number, raw in enumerate(text, 1):
                if number < start:
                    continue
                if self.delimiter == WHITESPACE:
                    raw = raw.strip().replace("\t", " ")
                delim = " " if self.delimiter == WHITESPACE else self.delimiter
                i, value = _bad_quote(raw.rstrip("\r\n"), delim)
                return self._column(i), _clip(value)
        return None, None

    def _check_span(self, start: int, end: int, fields: list[str]) -> None:
        """A record over several lines is legal (quoted line breaks) up to a limit."""
        if end - start >= self.max_field_lines or any(
            len(f) > self.max_field_bytes for f in fields
        ):
            self._too_long(start, fields)

    def _too_long(self, start: int, fields: list[str]) -> None:
        i = next((j for j, f in enumerate(fields) if "\n" in f), 0)
        self.fail(
            start,
            self._column(i),
            _clip(fields[i] if fields else ""),
            f"a quoted value runs over more than {self.max_field_lines} lines or "
            f"{self.max_field_bytes} bytes",
        )

    def _count_mismatch(self, start: int, span: int, fields: list[str], width: int) -> None:
        if span:
            i = next((j for j, f in enumerate(fields) if "\n" in f), len(fields) - 1)
            hint = UNCLOSED
        elif len(fields) > width:
            i = width
            hint = "a delimiter inside a value that is not quoted?"
        else:
            i = len(fields) - 1
            hint = "a missing delimiter, or a value cut short?"
        self.fail(
            start,
            self._column(i),
            _clip(fields[i]) if i < len(fields) else None,
            f"row has {len(fields)} fields, header has {width}",
            hint,
        )


def _clip(value: str, n: int = 60) -> str:
    value = value.replace("\r", "").replace("\n", "⏎")
    return value if len(value) <= n else value[: n - 1] + "…"


def _bad_quote(line: str, delim: str) -> tuple[int, str]:
    """Index and text of the field whose quoting goes wrong on this physical line."""
    field, begin, quoted, i, n = 0, 0, False, 0, len(line)
    while i < n:
        c = line[i]
        if quoted:
            if c == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
                if i + 1 < n and line[i + 1] != delim:
                    return field, line[begin:]  # text after a closing quote
        elif c == delim:
            field, begin = field + 1, i + 1
        elif c == '"' and i == begin:
            quoted = True
        i += 1
    return field, line[begin:]
