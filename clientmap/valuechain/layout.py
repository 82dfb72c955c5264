"""Layered layout of the value-chain picture (Sugiyama): layers, crossing minimisation, places.

1. **Layers.** A node's layer is its longest-path depth from the nodes that consume nothing,
   computed on the strongly connected components (cycles share a layer); paying organizations
   are lifted to the top layer; sources that are not services are pulled up to just below what
   they feed, so only infrastructure sits at the bottom.
2. **Dummy nodes.** An edge that spans several layers is split by one invisible node per layer
   it crosses, so long edges take part in the ordering instead of cutting across the page.
3. **Ordering.** Barycentre sweeps (down, then up) followed by adjacent transpositions, keeping
   the order with the fewest edge crossings seen (deterministic: ties keep the previous order).
4. **Places.** Each layer's nodes are put at the mean position of their neighbours, pushed apart
   to keep a gap (a few passes up and down), then the whole drawing is shifted to start at the
   margin; the picture's size is its content's (the SVG's viewBox fits it).

Node sizes come from their wrapped labels (``wrap``): names are broken on spaces (or hard, for
a very long word) into at most ``MAX_LINES`` lines of ``NAME_WIDTH`` pixels, measured with a
per-character width table for the font size, conservative for Latin and Cyrillic text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

NODE_W = 170
PAD_X, PAD_Y = 8, 7
NAME_WIDTH = NODE_W - 2 * PAD_X
LINE_H = 14
SUB_H = 13
MAX_LINES = 3
GAP_X, GAP_LAYER = 16, 56
MARGIN = 16
FONT = 12.0  # px, the name's font size (the sub-line is 10.5 px)
SUB_FONT = 10.5
SWEEPS = 8
RESTARTS = 8  # extra random starts of the ordering, for pictures of at most RESTART_MAX nodes
RESTART_MAX = 120
SIFT_MAX = 400  # nodes (dummies included) up to which every node is also sifted

# Widths in em of characters, by class; anything else counts as WIDE_DEFAULT.
_NARROW = set("iljtfrI.,;:!|'`()[]{} ")
_MID = set('abcdeghknopqsuvxyzJL0123456789-_/\\*"?$')
_WIDE = set("mwMW@%&")
WIDE_DEFAULT = 0.72


def char_em(c: str) -> float:
    if c in _NARROW:
        return 0.34
    if c in _MID:
        return 0.6
    if c in _WIDE:
        return 0.95
    if c.isupper():
        return 0.74
    if "\u0400" <= c <= "\u04ff":  # Cyrillic
        return 0.78 if c.isupper() else 0.64
    if c.isascii():
        return 0.62
    return WIDE_DEFAULT


BOLD = 1.1  # names are drawn semi-bold


def text_width(text: str, size: float = FONT) -> float:
    """A conservative estimate of ``text``'s width in pixels at ``size`` (sans-serif, semi-bold)."""
    return sum(char_em(c) for c in text) * size * BOLD


def _cut(word: str, width: float, size: float) -> list[str]:
    parts, cur = [], ""
    for c in word:
        if cur and text_width(cur + c, size) > width:
            parts.append(cur)
            cur = c
        else:
            cur += c
    return [*parts, cur] if cur else parts


def wrap(text: str, width: float = NAME_WIDTH, size: float = FONT, lines: int = MAX_LINES):
    """``text`` broken into at most ``lines`` lines that each fit ``width`` pixels; the last one
    ends with "…" when the text is longer (the full text is kept in the node's title)."""
    out: list[str] = []
    cur = ""
    for word in text.split():
        pieces = _cut(word, width, size) if text_width(word, size) > width else [word]
        for piece in pieces:
            trial = f"{cur} {piece}" if cur else piece
            if text_width(trial, size) <= width:
                cur = trial
            else:
                if cur:
                    out.append(cur)
                cur = piece
    if cur:
        out.append(cur)
    if len(out) > lines:
        last = out[lines - 1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1].rstrip()
        out = [*out[: lines - 1], last + "…"]
    return out or [""]


@dataclass
class Box:
    """One node to place: its label lines and size; ``x``, ``y`` are set by ``place``."""

    lines: list[str]
    sub: str
    w: float = NODE_W
    h: float = 0.0
    x: float = 0.0
    y: float = 0.0
    layer: int = 0
    fixed_top: bool = False  # paying organizations: the top layer

    def __post_init__(self) -> None:
        if not self.h:
            self.h = 2 * PAD_Y + LINE_H * len(self.lines) + (SUB_H if self.sub else 0)


@dataclass
class Layout:
    """The result: the order of each layer (node ids, dummies are ``>= n``), the routed edges
    (a list of points per input edge), the crossing count and the content size."""

    layers: list[list[int]]
    routes: list[list[tuple[float, float]]]
    crossings: int
    width: float
    height: float
    dummy_x: dict[int, float] = field(default_factory=dict)


def layers_of(n: int, edges: list[tuple[int, int]], top: list[bool], service: list[bool]):
    """Longest-path layers (see the module text)."""
    if n == 0:
        return []
    a = np.asarray([e[0] for e in edges], dtype=np.int64)
    b = np.asarray([e[1] for e in edges], dtype=np.int64)
    adj = csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    nc, label = connected_components(adj, directed=True, connection="strong")
    ca, cb = label[a], label[b]
    keep = ca != cb
    succ: list[set[int]] = [set() for _ in range(nc)]
    indeg = [0] * nc
    for x, y in set(zip(ca[keep].tolist(), cb[keep].tolist(), strict=True)):
        succ[x].add(y)
        indeg[y] += 1
    sources = [indeg[c] == 0 for c in range(nc)]
    depth = [0] * nc
    order: list[int] = []
    stack = sorted((c for c in range(nc) if indeg[c] == 0), reverse=True)
    while stack:
        c = stack.pop()
        order.append(c)
        for y in sorted(succ[c]):
            depth[y] = max(depth[y], depth[c] + 1)
            indeg[y] -= 1
            if indeg[y] == 0:
                stack.append(y)
    is_top = [False] * nc
    is_service = [False] * nc
    for i in range(n):
        is_top[label[i]] |= top[i]
        is_service[label[i]] |= service[i]
    rest = [depth[c] for c in range(nc) if not is_top[c]]
    height = (max(rest) + 1) if rest else 0
    for c in range(nc):
        if is_top[c]:
            depth[c] = height
    for c in reversed(order):
        if sources[c] and not is_service[c] and succ[c]:
            depth[c] = max(min(depth[y] for y in succ[c]) - 1, 0)
    layers = [depth[label[i]] for i in range(n)]
    used = sorted(set(layers))
    remap = {v: k for k, v in enumerate(used)}
    return [remap[v] for v in layers]


def _crossings_between(upper: list[int], lower: list[int], down: dict[int, list[int]]) -> int:
    """Crossings of the edges between two adjacent layers (``down[u]``: the lower ends of u)."""
    pos = {v: i for i, v in enumerate(lower)}
    ends = [pos[v] for u in upper for v in sorted(down.get(u, ()), key=pos.__getitem__)]

    # count inversions (merge sort)
    def count(xs: list[int]) -> tuple[list[int], int]:
        if len(xs) < 2:
            return xs, 0
        mid = len(xs) // 2
        left, a = count(xs[:mid])
        right, b = count(xs[mid:])
        merged, inv, i, j = [], a + b, 0, 0
        while i < len(left) and j < len(right):
            if right[j] < left[i]:
                merged.append(right[j])
                inv += len(left) - i
                j += 1
            else:
                merged.append(left[i])
                i += 1
        merged += left[i:] + right[j:]
        return merged, inv

    return count(ends)[1]


def count_crossings(rows: list[list[int]], down: dict[int, list[int]]) -> int:
    """Edge crossings of a layered drawing: rows from the top, ``down[u]`` the nodes of the next
    row below that ``u`` is linked to."""
    return sum(_crossings_between(rows[k], rows[k + 1], down) for k in range(len(rows) - 1))


def arrange(
    boxes: list[Box], edges: list[tuple[int, int]], *, service: list[bool] | None = None
) -> Layout:
    """Layers, order and places for ``boxes`` linked by ``edges`` (provider → consumer: value
    flows up, consumers above their providers)."""
    n = len(boxes)
    if n == 0:
        return Layout([], [], 0, 2 * MARGIN + NODE_W, 2 * MARGIN + 40)
    layer = layers_of(n, edges, [b.fixed_top for b in boxes], service or [False] * n)
    for b, lv in zip(boxes, layer, strict=True):
        b.layer = lv
    top = max(layer)
    # Rows from the top (row 0 = the top layer); each edge becomes a chain of segments between
    # adjacent rows, through dummy nodes.
    row_of = [top - lv for lv in layer]
    rows: list[list[int]] = [[] for _ in range(top + 1)]
    for i in sorted(range(n), key=lambda i: (row_of[i], i)):
        rows[row_of[i]].append(i)
    next_id = n
    chains: list[list[int]] = []
    dummy_row: dict[int, int] = {}
    down: dict[int, list[int]] = {}
    up: dict[int, list[int]] = {}

    def link(u: int, v: int) -> None:  # u in row r, v in row r + 1
        down.setdefault(u, []).append(v)
        up.setdefault(v, []).append(u)

    for a, b in edges:
        ra, rb = row_of[a], row_of[b]
        if ra == rb:
            chains.append([a, b])  # same layer: drawn as an arc, not ordered
            continue
        hi, lo = (b, a) if rb < ra else (a, b)  # hi: the upper end
        chain = [hi]
        for r in range(min(ra, rb) + 1, max(ra, rb)):
            d = next_id
            next_id += 1
            dummy_row[d] = r
            rows[r].append(d)
            chain.append(d)
        chain.append(lo)
        for u, v in zip(chain, chain[1:], strict=False):
            link(u, v)
        chains.append(chain[::-1] if rb < ra else chain)  # from a to b

    best = [list(r) for r in rows]
    best_c = count_crossings(best, down)
    total = sum(len(r) for r in rows)
    cur = [list(r) for r in rows]

    def sweep(rows: list[list[int]], downward: bool) -> None:
        order = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for r in order:
            ref = rows[r - 1] if downward else rows[r + 1]
            pos = {v: i for i, v in enumerate(ref)}
            nb = up if downward else down
            here = {v: i for i, v in enumerate(rows[r])}

            def bary(v: int, pos=pos, nb=nb, here=here) -> tuple[float, int]:
                ns = [pos[u] for u in nb.get(v, ()) if u in pos]
                return (sum(ns) / len(ns) if ns else here[v], here[v])

            rows[r].sort(key=bary)

    def refine(rows: list[list[int]]) -> None:
        """Adjacent transpositions, then sifting, row by row, with the pairwise crossing
        matrix of the row (both neighbouring rows held still)."""
        for r in range(len(rows)):
            row = rows[r]
            if len(row) < 2:
                continue
            c = _pair_crossings(rows, r, up, down)
            row_of_index = list(row)
            idx = {v: i for i, v in enumerate(row)}
            # transpositions
            changed = True
            while changed:
                changed = False
                for k in range(len(row) - 1):
                    u, v = row[k], row[k + 1]
                    if c[idx[v]][idx[u]] < c[idx[u]][idx[v]]:
                        row[k], row[k + 1] = v, u
                        changed = True
            if total > SIFT_MAX:
                continue
            # sifting: each node to its best place. The cost of every place at once: first, v
            # crosses the edges of every node on its right (``c[iv]``); each step right trades
            # one node's crossings for the reverse (``ct[iv]``, the column); the first best.
            ct = [list(col) for col in zip(*c, strict=True)]
            at = [idx[w] for w in row]  # the row, by index in ``c``
            for v in list(row):
                iv = idx[v]
                at.remove(iv)
                right, left = c[iv], ct[iv]
                costs = list(
                    accumulate(
                        [left[j] - right[j] for j in at], initial=sum(map(right.__getitem__, at))
                    )
                )
                at.insert(costs.index(min(costs)), iv)
            row[:] = [row_of_index[i] for i in at]

    rng = random.Random(7)
    starts = [cur, [list(reversed(r)) for r in rows]]
    for _k in range(RESTARTS if total <= RESTART_MAX else 0):
        shuffled = [list(r) for r in rows]
        for r in shuffled:
            rng.shuffle(r)
        starts.append(shuffled)
    for start in starts:
        cur = start
        last, stale = None, 0
        for k in range(SWEEPS):
            sweep(cur, downward=k % 2 == 0)
            refine(cur)
            found = count_crossings(cur, down)
            if found < best_c:
                best, best_c = [list(r) for r in cur], found
            stale = stale + 1 if last is not None and found >= last else 0
            last = found
            if best_c == 0 or stale >= 2:
                break
        if best_c == 0:
            break

    # Places: x by neighbours' mean, pushed apart; y by row.
    width_of = {i: boxes[i].w for i in range(n)}
    gap = {i: GAP_X for i in range(n)}
    xs: dict[int, float] = {}
    for row in best:
        x = 0.0
        for v in row:
            w = width_of.get(v, 0.0)
            xs[v] = x + w / 2
            x += w + (gap.get(v, GAP_X / 2) if v < n else GAP_X / 2)

    def settle(row: list[int], nb: dict[int, list[int]]) -> None:
        want = []
        for v in row:
            ns = [xs[u] for u in nb.get(v, ())]
            want.append(sum(ns) / len(ns) if ns else xs[v])
        # keep the order, at least (w1 + w2) / 2 + gap apart, as close to ``want`` as can be
        placed: list[float] = []
        for k, v in enumerate(row):
            x = want[k]
            if placed:
                prev = row[k - 1]
                need = placed[-1] + (width_of.get(prev, 0.0) + width_of.get(v, 0.0)) / 2
                need += GAP_X if (prev < n or v < n) else GAP_X / 2
                x = max(x, need)
            placed.append(x)
        # shift back left to balance against the wanted places
        if placed:
            shift = (sum(want) - sum(placed)) / len(placed)
            if shift < 0:
                placed = [p + shift for p in placed]
                # re-push to keep the gaps after the shift
                for k in range(1, len(row)):
                    prev, v = row[k - 1], row[k]
                    need = placed[k - 1] + (width_of.get(prev, 0.0) + width_of.get(v, 0.0)) / 2
                    need += GAP_X if (prev < n or v < n) else GAP_X / 2
                    placed[k] = max(placed[k], need)
        for v, x in zip(row, placed, strict=True):
            xs[v] = x

    for _pass in range(4):
        for r in range(1, len(best)):
            settle(best[r], up)
        for r in range(len(best) - 2, -1, -1):
            settle(best[r], down)
    left = min(xs[v] - width_of.get(v, 0.0) / 2 for v in xs)
    right = max(xs[v] + width_of.get(v, 0.0) / 2 for v in xs)
    for v in xs:
        xs[v] += MARGIN - left
    row_h = [max((boxes[v].h for v in row if v < n), default=20.0) for row in best]
    ys: list[float] = []
    y = float(MARGIN)
    for h in row_h:
        ys.append(y)
        y += h + GAP_LAYER
    height = y - GAP_LAYER + MARGIN
    for r, row in enumerate(best):
        for v in row:
            if v < n:
                boxes[v].x = xs[v] - boxes[v].w / 2
                boxes[v].y = ys[r]  # a row's boxes share their top
    # Routes: from the top of the lower box up to the bottom of the upper box, through dummies.
    routes: list[list[tuple[float, float]]] = []
    for chain in chains:
        a, b = chain[0], chain[-1]
        if boxes[a].layer == boxes[b].layer:
            routes.append(
                [
                    (boxes[a].x + boxes[a].w / 2, boxes[a].y),
                    (boxes[b].x + boxes[b].w / 2, boxes[b].y),
                ]
            )
            continue
        pts: list[tuple[float, float]] = []
        a_lower = row_of[a] > row_of[b]
        for k, v in enumerate(chain):
            if v < n:
                bx = boxes[v]
                at_top = (k == 0) == a_lower  # the lower end leaves from its top
                pts.append((xs[v], bx.y if at_top else bx.y + bx.h))
            else:
                r = dummy_row[v]
                pts.append((xs[v], ys[r] + row_h[r] / 2))
        routes.append(pts)
    return Layout(
        best,
        routes,
        best_c,
        right - left + 2 * MARGIN,
        height,
        {v: xs[v] for v in xs if v >= n},
    )


def _local(rows: list[list[int]], r: int, down: dict[int, list[int]]) -> int:
    c = 0
    if r > 0:
        c += _crossings_between(rows[r - 1], rows[r], down)
    if r + 1 < len(rows):
        c += _crossings_between(rows[r], rows[r + 1], down)
    return c


def _pair_crossings(
    rows: list[list[int]], r: int, up: dict[int, list[int]], down: dict[int, list[int]]
) -> list[list[int]]:
    """``c[i][j]``: crossings between the edges of ``rows[r][i]`` and ``rows[r][j]`` (to the
    rows above and below) when ``i`` is left of ``j``."""
    row = rows[r]
    m = len(row)
    c = np.zeros((m, m), dtype=np.int64)
    for other, nb in ((r - 1, up), (r + 1, down)):
        if other < 0 or other >= len(rows):
            continue
        pos = {v: i for i, v in enumerate(rows[other])}
        # ends[i, p]: how many edges of row[i] end at place p of the other row
        ends = np.zeros((m, len(pos) + 1), dtype=np.int64)
        for i, v in enumerate(row):
            for u in nb.get(v, ()):
                if u in pos:
                    ends[i, pos[u]] += 1
        # before[j, p]: how many edges of row[j] end left of place p
        before = np.cumsum(ends, axis=1) - ends
        # pairs (a of i, b of j) with b < a cross when i is left of j
        c += ends @ before.T
    np.fill_diagonal(c, 0)
    return c.tolist()
