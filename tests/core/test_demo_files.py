"""The demo's CSV files are exactly what its one generator writes (``scripts/make_demo.py``, which
also runs the touchpoints and accounts generators): a hand edit, or a generator changed without
regenerating, leaves files that tell a different story from their source."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "clientmap" / "imports" / "demo"


def test_the_committed_demo_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_demo

        make_demo.main(out)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
        for name in ("make_demo", "make_demo_touchpoints", "make_demo_accounts"):
            sys.modules.pop(name, None)
    differ = [
        p.name for p in sorted(DEMO.glob("*.csv")) if p.read_bytes() != (out / p.name).read_bytes()
    ]
    assert differ == [], f"regenerate with scripts/make_demo.py: {differ}"
