"""The accessibility gate's machinery: which pages exist, and axe-core in the browser.

Pages are found by walking Django's URL resolver, so a page another area adds later is checked
without anyone touching this file: a pattern without parameters is visited as it is; one with
parameters gets its values from ``SAMPLES`` (the test world's keys) or, failing that, from the
first link to it met on a page already visited. A pattern that renders no HTML page on GET is
named in ``SKIP`` with the reason; the gate fails on a pattern it could neither visit nor find
in ``SKIP`` (and on a ``SKIP`` entry that matches nothing any more), so the list stays reviewed.

axe-core comes from ``node_modules/`` (``npm ci``, run by ``scripts/install.sh --dev``, pinned
in ``package-lock.json``); it is never fetched at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# The standard held (docs/accessibility.md): WCAG 2.0/2.1 level A and AA. axe's best-practice
# rules run too, and are reported but only fail the gate when serious or critical.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}

# URL names (or a ``namespace:`` prefix) that render no HTML page on a GET, with the reason.
# Reviewed: a new entry needs a reason a reviewer can check against the view.
SKIP: dict[str, str] = {
    "api:": "the JSON API (its HTML page, api:openapi-view, is checked; see KEEP)",
    "admin:": "Django's own admin, rendered by Django's templates; its index is checked (KEEP)",
    "set_language": "POST only: the language switch form's target",
    "logout": "POST only: the log-out button's target",
    "voice:similar": "an htmx fragment (suggestions while typing), checked inside the portal",
    "pick": "an htmx fragment (the <option>s of a searchable key field), inside the wish page",
    "inbox_count": "an htmx fragment (the bell with its count), inside every page's top bar",
    "voice:submit": "POST only: the wish form's target",
    "voice:vote": "POST only: the vote button's target",
    "voice:comment": "POST only: the comment form's target",
    "voice:triage": "POST only: the staff triage form's target",
    "valuechain:tell": "POST only: the 'tell the affected customers' form's target",
    "fit:recompute": "POST only: the staff 'recompute' button's target",
    "fit:override": "POST only: the staff override form's target",
    "fit:clear_override": "POST only: the staff 'end the override' button's target",
    "oidc_authentication_init": "a redirect to the identity provider, 404 unless OIDC is configured",
    "oidc_authentication_callback": "the identity provider's redirect back, 404 unless OIDC is configured",
    "healthz": "JSON for load balancers and monitors (clientmap.core.health), no HTML",
    "imports:retry": "POST only: the 'Retry this import' button's target",
    "experience:survey_people": "POST only: the never-asked list's 'survey them' button",
    "experience:survey_links": "a CSV download of the open survey links, not a page",
}
# Exceptions to a namespace in SKIP.
KEEP = {"api:openapi-view", "admin:index"}


@dataclass
class Pattern:
    name: str  # "namespace:url_name"
    route: str  # human-readable route, e.g. "teams/<str:key>/"
    params: list[str]
    i18n: bool  # a page in every language (everything but the JSON API and its docs)
    regex: re.Pattern = field(repr=False, default=None)  # type: ignore[assignment]


def _route(pattern) -> str:
    return str(pattern.pattern)


def walk(resolvers=None, prefix: str = "", namespace: str = "", i18n: bool = False):
    """Every named URL pattern of the project, with its full route."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            is_i18n = i18n or type(entry.pattern).__name__ == "LocalePrefixPattern"
            yield from walk(entry.url_patterns, prefix + _route(entry), ns, is_i18n)
        elif isinstance(entry, URLPattern) and entry.name:
            route = prefix + _route(entry)
            params = re.findall(r"<(?:\w+:)?(\w+)>", route) or re.findall(r"\(\?P<(\w+)>", route)
            # Every page honours the chosen language (clientmap.core.language), the JSON API
            # and its docs aside.
            multilingual = i18n or not route.startswith("api/")
            yield Pattern(f"{namespace}{entry.name}", route, params, multilingual)


def skip_reason(name: str) -> str | None:
    if name in KEEP:
        return None
    if name in SKIP:
        return SKIP[name]
    for key, reason in SKIP.items():
        if key.endswith(":") and name.startswith(key):
            return reason
    return None


def html_patterns() -> tuple[list[Pattern], dict[str, str]]:
    """(patterns to visit, {skipped name: reason}). Duplicate names keep their first route."""
    seen: dict[str, Pattern] = {}
    skipped: dict[str, str] = {}
    for p in walk():
        if p.name in seen or p.name in skipped:
            continue
        reason = skip_reason(p.name)
        if reason:
            skipped[p.name] = reason
        else:
            seen[p.name] = p
    return list(seen.values()), skipped


def stale_skips(skipped: dict[str, str]) -> list[str]:
    """SKIP entries that match no URL pattern any more (so the list does not rot)."""
    stale = []
    for key in SKIP:
        if key.endswith(":"):
            if not any(n.startswith(key) for n in skipped):
                stale.append(key)
        elif key not in skipped:
            stale.append(key)
    return stale


# --- axe in the page -----------------------------------------------------------------------

RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations', 'incomplete']});
  const brief = (v, review) => ({id: v.id, impact: v.impact, help: v.help, review: review,
                                 nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 50),
                                 count: v.nodes.length});
  // SVG text is left to SVG_TEXT_CONTRAST below: axe cannot decide on it.
  const inSvg = n => { const e = document.querySelector(n.target[0]); return e && e.closest('svg'); };
  const review = r.incomplete.map(v => ({...v, nodes: v.id === 'color-contrast' ?
                                         v.nodes.filter(n => !inSvg(n)) : v.nodes}))
                             .filter(v => v.nodes.length);
  return r.violations.map(v => brief(v, false)).concat(review.map(v => brief(v, true)));
}"""


# axe-core cannot compute the contrast of SVG text (it takes an <svg> for an image: axe-core
# issue 1819), so the gate does: each label's computed fill against the filled shape drawn
# behind it in the same group (or the HTML background around the <svg>), WCAG's formula.
SVG_TEXT_CONTRAST = """() => {
  const rgb = c => { const m = (c || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return p.length > 3 && p[3] === 0 ? null : p; };
  const lum = p => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 :
    Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126*f(p[0]) + 0.7152*f(p[1]) + 0.0722*f(p[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const htmlBackground = el => { for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor); if (c) return c; } return [255, 255, 255]; };
  const out = [];
  for (const t of document.querySelectorAll('svg text')) {
    const label = t.textContent.trim(); if (!label) continue;
    const style = getComputedStyle(t); const fg = rgb(style.fill);
    if (!fg || style.visibility === 'hidden' || style.display === 'none') continue;
    const tb = t.getBBox(); const cx = tb.x + tb.width / 2, cy = tb.y + tb.height / 2;
    let bg = null;
    for (let s = t.previousElementSibling; s && !bg; s = s.previousElementSibling) {
      if (!['rect', 'circle', 'ellipse', 'polygon', 'path'].includes(s.localName)) continue;
      const b = s.getBBox(); const fill = rgb(getComputedStyle(s).fill);
      if (fill && cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height) bg = fill;
    }
    bg = bg || htmlBackground(t.ownerSVGElement.parentElement);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(fg, bg);
    if (r < need) {
      const a = t.closest('a'); const key = a && a.dataset.key ? `a[data-key="${a.dataset.key}"] ` : '';
      out.push(`${key}text "${label.slice(0, 40)}" ${r.toFixed(2)}:1 < ${need}:1 ` +
               `(rgb(${fg.slice(0, 3)}) on rgb(${bg.slice(0, 3)}))`);
    }
  }
  return out;
}"""


@dataclass
class Finding:
    rule: str
    impact: str
    help: str
    page: str  # role · language · path
    selectors: list[str]
    count: int
    review: bool = False  # axe could not decide ("incomplete"): a person must look

    def line(self) -> str:
        shown = ", ".join(self.selectors[:5]) + (" …" if len(self.selectors) > 5 else "")
        return f"{self.impact:9} {self.rule} ({self.count}) on {self.page}: {shown}"


def run_axe(page, where: str) -> list[Finding]:
    """axe's violations, then what it could not decide (``review``), on the page shown."""
    raw = page.evaluate(RUN_AXE, AXE_TAGS)
    found = [
        Finding(
            v["id"], v["impact"] or "minor", v["help"], where, v["nodes"], v["count"], v["review"]
        )
        for v in raw
    ]
    svg = page.evaluate(SVG_TEXT_CONTRAST)
    if svg:
        found.append(
            Finding("svg-text-contrast", "serious", "SVG labels: 4.5:1", where, svg, len(svg))
        )
    return found


# --- the plan: which page states the gate visits -----------------------------------------

LANGUAGES = ["en", "es", "pt", "ru"]
# role → demo username (None: not logged in). Staff, a team member, a customer portal user.
ROLES: dict[str, str | None] = {
    "staff": "admin",
    "member": "member",
    "portal": "portal",
    "anonymous": None,
}
HREF = re.compile(r"""href=["']([^"'#]+)""")


@dataclass
class PageState:
    role: str
    language: str
    name: str
    path: str

    @property
    def where(self) -> str:
        return f"{self.role} · {self.language} · {self.path}"


@dataclass
class Plan:
    states: list[PageState]
    unvisited: dict[str, str]  # pattern name → why no role could see it as an HTML page
    skipped: dict[str, str]
    stale: list[str]


def _sample_path(p: Pattern, samples: dict, found: dict) -> str | None:
    from django.urls import NoReverseMatch, reverse

    if p.params:
        kwargs = samples.get(p.name) or found.get(p.name)
        if not kwargs:
            return None
    else:
        kwargs = {}
    try:
        return reverse(p.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def plan(users: dict, samples: dict) -> Plan:
    """Ask each role's Django test client for every pattern, in English; keep the 200 HTML pages.

    ``users``: role → User (None for anonymous). ``samples``: pattern name → URL kwargs. Links
    met on the pages fill the kwargs of patterns that have no sample (first link wins).
    """
    from django.conf import settings
    from django.test import Client
    from django.urls import Resolver404, resolve
    from django.utils import translation

    patterns, skipped = html_patterns()
    found: dict[str, dict] = {}
    ok: dict[str, set[str]] = {}  # role → names seen as 200 HTML
    why: dict[str, list[str]] = {}
    paths: dict[str, str] = {}
    forbidden: dict[str, Pattern] = {}  # role → a pattern it may not see (its 403 page is checked)
    with translation.override("en"):
        for role, user in users.items():
            client = Client()
            if user is not None:
                client.force_login(user)
            ok[role] = set()
            todo = list(patterns)
            for _round in range(3):  # links found on later pages can open patterns left behind
                left = []
                for p in todo:
                    path = _sample_path(p, samples, found)
                    if path is None:
                        left.append(p)
                        continue
                    paths[p.name] = path
                    r = client.get(path)
                    kind = r.get("Content-Type", "")
                    if r.status_code == 200 and kind.startswith("text/html"):
                        ok[role].add(p.name)
                        for href in HREF.findall(r.content.decode("utf-8", "replace")):
                            if not href.startswith("/") or href.startswith("//"):
                                continue
                            try:
                                match = resolve(href.split("?")[0])
                            except Resolver404:
                                continue
                            found.setdefault(match.view_name, match.kwargs)
                    else:
                        why.setdefault(p.name, []).append(f"{role}: {r.status_code} {kind}")
                        if r.status_code == 403:
                            forbidden.setdefault(role, p)
                todo = left
            for p in todo:
                why.setdefault(p.name, []).append(
                    f"{role}: no sample key (not in SAMPLES, no link)"
                )
    states = []
    for role in users:
        for lang in LANGUAGES:
            with translation.override(lang):
                for p in patterns:
                    # Outside i18n_patterns (/api/docs) a page is always in the default language.
                    if not p.i18n and lang != settings.LANGUAGE_CODE:
                        continue
                    if p.name in ok[role]:
                        path = _sample_path(p, samples, found)
                        if path:
                            # A language prefix chooses the language for the browser (it
                            # redirects to the page without it, which then stays in it).
                            if p.i18n:
                                path = f"/{lang}{path}"
                            states.append(PageState(role, lang, p.name, path))
                # The error pages: 404 (a path nothing resolves), and 403 where the role meets one.
                prefix = "" if lang == settings.LANGUAGE_CODE else f"/{lang}"
                states.append(PageState(role, lang, "404", f"{prefix}/no-such-page/"))
                if role in forbidden:
                    path = _sample_path(forbidden[role], samples, found)
                    if path:
                        states.append(PageState(role, lang, "403", path))
    seen = set().union(*ok.values())
    unvisited = {p.name: "; ".join(why.get(p.name, [])) for p in patterns if p.name not in seen}
    return Plan(states, unvisited, skipped, stale_skips(skipped))
