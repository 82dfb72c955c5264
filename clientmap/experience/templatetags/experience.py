"""Formatting for X1 figures."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A share 0..1 as a whole percentage; — for none."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.0f} %"


@register.filter
def points(value) -> str:
    """A difference of shares as signed percentage points."""
    if value is None:
        return "—"
    return f"{100 * float(value):+.0f} pp"


@register.filter
def one(value) -> str:
    if value is None:
        return "—"
    return f"{float(value):.1f}"


@register.simple_tag
def team_options(teams, team=None) -> str:
    """The ``<option>``s of a team filter, ``team`` selected: built here, not by a template
    loop (a world has thousands of teams, and every filtered page lists them all)."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    chosen = team.key if team is not None else None
    return mark_safe(
        "".join(
            f'<option value="{escape(k)}"{" selected" if k == chosen else ""}>{escape(n)}</option>'
            for k, n in teams
        )
    )


@register.simple_tag
def figures_cells(f) -> str:
    """The figure cells of one table row (answers, CSAT, mean, trend, response rate, promises
    due, kept, median delay), built here rather than by an included template: a page has 50
    rows of them."""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext as _

    a, r, p = f.answers, f.responses, f.promises
    sent = (
        format_html(' <span class="muted small">({}/{})</span>', r.answered, r.sent)
        if r.sent
        else ""
    )
    overdue = (
        format_html(
            ' <span class="muted small" title="{}">({})</span>',
            _("still open past the target date"),
            _("%(n)s overdue") % {"n": p.overdue},
        )
        if p.overdue
        else ""
    )
    return mark_safe(
        format_html('<td class="num">{}</td>\n', a.answers)
        + format_html('<td class="num csat">{}</td>\n', pct(a.csat))
        + format_html('<td class="num">{}</td>\n', one(a.mean_score))
        + format_html('<td class="num">{}</td>\n', points(a.csat_trend))
        + format_html('<td class="num response">{}{}</td>\n', pct(r.rate), sent)
        + format_html('<td class="num">{}{}</td>\n', p.due, overdue)
        + format_html('<td class="num kept">{}</td>\n', pct(p.kept_share))
        + format_html('<td class="num">{}</td>\n', one(p.median_delay_days))
    )
