"""The compiled mapping gives exactly what the plain reading would."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from clientmap.imports.mapping.compile import _fast_format

FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"]
FORMATS += ["%d-%m-%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M"]
VALUES = [
    "29/2/2016 01:16",
    "29/2/2015 01:16",
    "31/4/2016 10:00",
    "1/13/2016 10:00",
    "12/03/2016 24:00",
    "12/03/2016 23:59",
    "12/03/2016 9:5",
    "2016-03-12 10:00:00",
    "12-03-2016 10:00",
    "12/03/2016",
    "12.03.2016 10:00",
    " 12/03/2016",
    "12/03/16 10:00",
    "12/03/2016 10:00:60",
    "012/03/2016 10:00",
    "12/03/2016  10:00",
    "",
]


@pytest.mark.parametrize(("fmt", "value"), list(itertools.product(FORMATS, VALUES)))
def test_fast_date_reader_agrees_with_strptime(fmt, value) -> None:
    try:
        expected = datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        expected = None
    assert _fast_format(fmt)(value) == expected


def test_formats_with_names_or_am_pm_use_strptime() -> None:
    assert _fast_format("%d/%b/%y %I:%M %p") is None
