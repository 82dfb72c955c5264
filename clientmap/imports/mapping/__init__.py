"""Mapped imports: a TOML mapping turns a foreign CSV export into Clientmap records.

Three steps, one module each:

* :mod:`~clientmap.imports.mapping.language` — *parse*: the TOML file into a :class:`Mapping`
  (every mistake in the mapping reported before any row is read);
* :mod:`~clientmap.imports.mapping.compile` — *compile*: the mapping against the file's header
  into one small function per field;
* :mod:`~clientmap.imports.mapping.apply` — *apply*: read the file strictly, run each record
  through the compiled program, stage and write in one transaction (:func:`import_mapped`).

See docs/mapping.md for the language.
"""

from clientmap.imports.mapping.apply import MappedReport, Progress, Reader, import_mapped
from clientmap.imports.mapping.compile import compile_mapping
from clientmap.imports.mapping.language import (
    BLOCKS,
    ENUMS,
    REQUIRED,
    Block,
    Field,
    Mapping,
    MappingError,
    load,
    parse,
    presets,
)
from clientmap.imports.source import open_text

__all__ = [
    "BLOCKS",
    "ENUMS",
    "REQUIRED",
    "Block",
    "Field",
    "MappedReport",
    "Mapping",
    "MappingError",
    "Progress",
    "Reader",
    "compile_mapping",
    "import_mapped",
    "load",
    "open_text",
    "parse",
    "presets",
]
