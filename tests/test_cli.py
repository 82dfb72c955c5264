"""The console script itself (no database)."""

from __future__ import annotations

import pytest

from clientmap import cli


class GonePipe:
    """stdout of ``clientmap customers T | head`` once ``head`` has exited."""

    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False


def test_broken_pipe_exits_quietly(monkeypatch) -> None:
    monkeypatch.setattr("sys.stdout", GonePipe())
    with pytest.raises(SystemExit) as exc:  # not a BrokenPipeError traceback
        cli.main(["version"])
    assert exc.value.code == 1
