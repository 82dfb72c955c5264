"""The per-process graph cache: threads that find it expired together build one graph."""

from __future__ import annotations

import threading
import time

from clientmap.valuechain import graph as vg


class _Built:
    def __init__(self) -> None:
        self.loaded_at = time.monotonic()


def test_threads_finding_the_graph_expired_build_it_once(monkeypatch):
    builds: list[int] = []
    started = threading.Event()

    def build(_data):
        builds.append(1)
        started.set()
        time.sleep(0.3)  # long enough for every other thread to arrive during the build
        return _Built()

    monkeypatch.setattr(vg, "fingerprint", lambda version=None: ("db", 1))
    monkeypatch.setattr(vg, "load_data", lambda: None)
    monkeypatch.setattr(vg.ValueGraph, "build", staticmethod(build))
    old = _Built()
    old.loaded_at -= vg.CACHE_SECONDS + 1  # expired
    monkeypatch.setitem(vg._cache, "graph", (("db", 1), old, old.loaded_at))

    got: list[object] = []
    threads = [
        threading.Thread(target=lambda: got.append(vg.load_graph(current=False))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(builds) == 1
    assert len(got) == 4 and len({id(g) for g in got}) == 1 and got[0] is not old


def test_a_refresh_always_builds_and_a_fresh_graph_is_reused(monkeypatch):
    builds: list[int] = []
    monkeypatch.setattr(vg, "fingerprint", lambda version=None: ("db", 2))
    monkeypatch.setattr(vg, "load_data", lambda: None)
    monkeypatch.setattr(
        vg.ValueGraph, "build", staticmethod(lambda _d: builds.append(1) or _Built())
    )
    monkeypatch.setattr(vg, "_cache", {})
    g1 = vg.load_graph(current=False)
    assert vg.load_graph(current=False) is g1
    g2 = vg.load_graph(current=False, refresh=True)
    assert g2 is not g1 and len(builds) == 2
