"""Faults, tried: a worker killed with SIGKILL at random points of an import and of a rebuild.

Each run starts from the same scratch database (a copy of a template), starts ``clientmap
worker`` in a subprocess, kills it with SIGKILL after a random delay inside the job's clean-run
duration, then checks that the database holds all or nothing of the job (its content checksums
equal those before the job or those of a clean run) and that restarting a worker (which reaps the
dead job) and retrying gives exactly the clean run's result. On SQLite (a file) or PostgreSQL
(scratch databases beside the test database), whichever the suite runs on.

CLIENTMAP_FAULT_POINTS (default 5) kill points per job; CLIENTMAP_FAULT_SEED to replay a run.

They take minutes (a worker process started per point), so the suite runs them once: on
PostgreSQL, the production database (on SQLite where no PostgreSQL is reachable), where the kills found the one defect so far (an import's
data committed before its outcome: the retry then audited every row as "unchanged"; a fast test
of that on both databases is ``tests/ops/test_jobs.py::test_an_import_and_its_outcome_commit_together``).
A kill during the import's COMMIT does not stop it: PostgreSQL finishes it after its client died,
so the checks read only once the dead worker's last transaction has ended
(``fault_driver.settle``; ``tests/ops/test_fault_reader.py``) — a reader started meanwhile saw the
imported accounts without their placements, which once passed for a lost mark.
On SQLite run them with CLIENTMAP_FAULTS_ON_SQLITE=1.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from bench import world
from tests.ops.scratch import KIND, ROOT, Scratch

POINTS = int(os.environ.get("CLIENTMAP_FAULT_POINTS", "5"))
SEED = int(os.environ.get("CLIENTMAP_FAULT_SEED", str(int(time.time()))))
REQUESTS = int(os.environ.get("CLIENTMAP_FAULT_REQUESTS", "6000"))


def _postgresql_reachable() -> bool:
    """Is there a PostgreSQL for the suite's second run (``scripts/test.sh``'s PG_URL)?"""
    import psycopg

    url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/clientmap")
    try:
        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
    except Exception:  # noqa: BLE001 — unreachable for whatever reason
        return False
    return True


# On SQLite only where the suite has no PostgreSQL run (CI without a server): every submission
# runs them once, on one database or the other.
pytestmark = pytest.mark.skipif(
    KIND == "sqlite"
    and not os.environ.get("CLIENTMAP_FAULTS_ON_SQLITE")
    and _postgresql_reachable(),
    reason="SIGKILL tests run in the suite's PostgreSQL run (CLIENTMAP_FAULTS_ON_SQLITE=1 to run here)",
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    s = Scratch(tmp_path_factory.mktemp("faults"))
    folder = s.folder / "world"
    world.write(folder, world.Scale(requests=REQUESTS))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    s.archive = s.folder / "world.zip"
    s.archive.write_bytes(buf.getvalue())
    s.create("empty")
    subprocess.run(
        [sys.executable, "-m", "clientmap", "migrate", "-v0"],
        env=s.env("empty"),
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    s.start_driver()
    yield s
    s.proc.stdin.close()
    s.proc.wait(timeout=60)
    for name in s.names:
        s.drop(name)


def _kill_at_random_points(scratch: Scratch, template: str, key: str) -> list[str]:
    before = scratch.driver(template, "checksums")["checksums"]
    scratch.create("clean", template)
    w = scratch.worker("clean")
    assert w.wait(timeout=600) == 0, w.stderr.read()
    timing = scratch.driver("clean", "job", key)
    assert timing["status"] == "done"
    clean = scratch.driver("clean", "checksums")["checksums"]
    assert clean != before, "the job must change something"
    rnd = random.Random(f"{SEED}:{template}")
    outcomes = []
    for i in range(POINTS):
        # a random moment of the job's run (as long as the clean run took), and a little after
        delay = rnd.uniform(0, timing["seconds"] * 1.1)
        name = scratch.create(f"kill{i}", template)
        w = scratch.worker(name)
        deadline = time.time() + 120
        while scratch.status(name, key) == "queued" and w.poll() is None:
            assert time.time() < deadline, "the worker never started the job"
            time.sleep(0.02)
        time.sleep(delay)
        killed = w.poll() is None
        if killed:
            os.kill(w.pid, signal.SIGKILL)
        w.wait(timeout=60)
        result = scratch.driver(name, "after-kill", key)
        state = "nothing" if result["after_kill"] == before else "all"
        restarted = result["restarted"]
        if killed and "import_status" in restarted and restarted["status"] == "failed":
            # defect 7: the restarted worker marks the import failed, with the reason
            assert restarted["import_status"] == "failed", restarted
            assert "stopped" in restarted["import_errors"][0]["message"], restarted
        assert result["after_kill"] in (before, clean), (
            f"seed {SEED}, kill at {delay:.2f}s: a partial write in "
            + ", ".join(
                t for t in clean if result["after_kill"].get(t) not in (before.get(t), clean[t])
            )
        )
        assert result["status"] == "done", result
        assert result["after_rerun"] == clean, f"seed {SEED}, kill at {delay:.2f}s: rerun differs"
        outcomes.append(f"{delay:.2f}s:{'killed' if killed else 'finished'}:{state}")
        scratch.drop(name)
    print(f"{KIND} {template} seed={SEED} clean job {timing['seconds']:.2f}s:", ", ".join(outcomes))
    assert sum(":killed:" in o for o in outcomes) >= min(3, POINTS), outcomes
    return outcomes


def test_an_import_killed_at_random_points_leaves_all_or_nothing(scratch) -> None:
    scratch.create("import", "empty")
    key = scratch.driver("import", "prepare-import", str(scratch.archive))["key"]
    _kill_at_random_points(scratch, "import", key)


def test_a_rebuild_killed_at_random_points_leaves_all_or_nothing(scratch) -> None:
    scratch.create("recompute", "empty")
    key = scratch.driver("recompute", "prepare-recompute", str(scratch.archive))["key"]
    _kill_at_random_points(scratch, "recompute", key)
