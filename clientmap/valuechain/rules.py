"""The old name of ``clientmap.valuechain.graph`` (the graph V1–V3 are computed on).

Kept so that ``from clientmap.valuechain import rules`` keeps working; new code imports
``graph``. Each rule has its own module: ``reach`` (V1), ``impact`` and ``feed`` (V2), ``lens``
(V3) — see docs/rules.md.
"""

from clientmap.valuechain import graph as _graph
from clientmap.valuechain.graph import *  # noqa: F403


def __getattr__(name: str):
    return getattr(_graph, name)
