"""The X1 rules, in one place: what counts as an answer, a promise kept, a response, and the
settings that tune surveys. The SQL fragments here are shared by every figure so the pages, the
CLI, the API and the fit area read the same numbers.

* **Answer** — a touchpoint of kind ``survey`` with a score 1–5, on its ``day``. Answers to our
  own surveys and answers imported from another tool's CSAT count alike.
* **CSAT** — the share of answers scoring 4 or 5. **Mean score** — their mean (1–5).
* **Response rate** — of the surveys *we sent* in the window, the share answered (imported
  answers have no sending, so they are not in it).
* **Promise** — a request with a target date, agreed by the team. It is *due* in the window
  when it was fulfilled in the window (``closed``), or when it is still open (accepted or in
  progress) and its target date has passed inside the window — *overdue and not fulfilled*
  counts as a promise missed. It is *kept* when fulfilled on or before its target date. Its
  *delay* is the days after the target date: for a late delivery, closed − target; for an open
  overdue one, the days overdue so far (as of − target), a lower bound. Declined, withdrawn
  and never-accepted requests made no promise; a fulfilled request without a closing date
  cannot be judged and is left out.
* **Customer kind** of an answer or request — the C2 kind of the person's relation with that
  team; without one, internal for the home organization, external paying when the person's
  organization pays some team, else external non-paying.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from clientmap.customers.models import Kind
from clientmap.engagements.models import Request

RECENT_DAYS = 90  # csat_trend: the last 90 days against the 90 days before


def setting(name: str, default: int) -> int:
    return int(settings.CLIENTMAP.get(name, default))


def expiry_days() -> int:
    return setting("SURVEY_EXPIRY_DAYS", 30)


def quiet_days() -> int:
    return setting("SURVEY_QUIET_DAYS", 30)


def remind_after_days() -> int:
    return setting("SURVEY_REMIND_AFTER_DAYS", 7)


def never_asked_months() -> int:
    return setting("NEVER_ASKED_MONTHS", 12)


def window_days() -> int:
    return setting("ACTIVE_WINDOW_DAYS", 365)


# --- SQL that runs the same on SQLite and PostgreSQL ---------------------------------------


def days_between(later: str, earlier: str) -> str:
    """Whole days from ``earlier`` to ``later`` (two date expressions)."""
    if connection.vendor == "postgresql":
        return f"(CAST({later} AS date) - CAST({earlier} AS date))"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def month_of(column: str) -> str:
    """'YYYY-MM' of a date column."""
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {column})"


def q(values) -> str:
    """A SQL list of fixed internal enum values (never user input)."""
    return ", ".join(f"'{v}'" for v in values)


OPEN = (Request.Status.ACCEPTED, Request.Status.IN_PROGRESS)
FULFILLED = Request.Status.FULFILLED


def kind_sql(team_col: str, person_col: str, home_id: int | None) -> tuple[str, str]:
    """(join, expression) giving the customer kind of (team, person), per the rule above.

    "An organization that pays" is an uncorrelated ``IN (SELECT …)``: both databases build it
    once (SQLite an index, PostgreSQL a hash) and probe it per row. A ``LEFT JOIN`` to the same
    list as a derived table was scanned in full for every row by SQLite (no index on a
    materialized subquery there): 200 000 answers × 10 000 organizations, minutes at 1M."""
    # without a home organization nobody is internal: an id no organization has (-1, -2: alike)
    home = int(home_id) if home_id is not None else -1  # pragma: no mutate (see above)
    paying = (
        "SELECT p2.organization_id "  # pragma: no mutate (SQL case)
        "FROM customers_customerrelation c2 JOIN directory_person p2 ON p2.id = c2.person_id "  # pragma: no mutate (SQL case)
        f"WHERE c2.kind = '{Kind.EXTERNAL_PAYING.value}' AND c2.is_customer"
    )
    join = (
        "LEFT JOIN customers_customerrelation cr "  # pragma: no mutate (SQL case)
        f"ON cr.team_id = {team_col} AND cr.person_id = {person_col}"
    )
    expr = (
        f"COALESCE(cr.kind, CASE WHEN p.organization_id = {home} THEN '{Kind.INTERNAL.value}' "
        f"WHEN p.organization_id IN ({paying}) THEN '{Kind.EXTERNAL_PAYING.value}' "
        f"ELSE '{Kind.EXTERNAL_NONPAYING.value}' END)"
    )
    return join, expr


def promise_kept_or_late_sql() -> str:
    """WHERE condition over the requests ``r``: a promise delivered — fulfilled, on its closing
    day (one without a closing date cannot be judged and is left out)."""
    return f"r.status = '{FULFILLED}' AND r.closed IS NOT NULL"


def promise_open_sql() -> str:
    """WHERE condition over the requests ``r``: a promise still open — a target date on a
    request the team agreed to and has not fulfilled yet (declined, withdrawn and
    never-accepted requests made no promise)."""
    return f"r.target IS NOT NULL AND r.status IN ({q(OPEN)})"


def promise_late_sql() -> str:
    """Days late of a fulfilled request's promise (0 when kept, NULL without a target): the
    delay stored on its ``fulfilled`` touchpoint (``experience.derive``)."""
    late = days_between("r.closed", "r.target")  # pragma: no mutate (SQL case)
    return f"CASE WHEN r.target IS NULL THEN NULL WHEN r.closed > r.target THEN {late} ELSE 0 END"


def promise_delay_sql() -> str:
    """Days late of a due promise over the derived touchpoints ``t`` (0 when kept): the stored
    delay of a fulfilled one; the days overdue so far of an open one (as of − target)."""
    overdue = days_between("%(as_of)s", "t.day")  # pragma: no mutate (SQL case)
    return f"CASE WHEN t.kind = %(fulfilled)s THEN t.delay ELSE {overdue} END"


def promise_due_sql() -> str:
    """WHERE condition over the derived touchpoints ``t``: the promise fell due in (lo, as_of]
    — fulfilled then (a ``fulfilled`` touchpoint with a delay, i.e. a target date), or still
    open with its target date (the ``due`` touchpoint's day) passed before as of."""
    # pragma: no mutate start (SQL is case-blind; the parameters' case is checked by the tests)
    return (
        "t.kind IN (%(fulfilled)s, %(due)s) AND t.day > %(lo)s AND t.day <= %(as_of)s "
        "AND ((t.kind = %(fulfilled)s AND t.delay IS NOT NULL) "
        "OR (t.kind = %(due)s AND t.day < %(as_of)s))"
    )
    # pragma: no mutate end


def day_bounds(as_of: date) -> tuple[datetime, datetime]:
    """The aware datetimes [start, end) of the local day ``as_of``."""
    start = timezone.make_aware(datetime.combine(as_of, time()))
    return start, start + timedelta(days=1)


def median(histogram: dict[int, int]) -> float | None:
    """Median of a multiset given as {value: count}."""
    total = sum(histogram.values())
    if not total:
        return None
    # ``seen`` counts whole values: seen > n // 2 and seen > n / 2 agree
    lo_i, hi_i = (total - 1) // 2, total // 2  # pragma: no mutate (see above)
    seen = 0
    lo = hi = None
    for value in sorted(histogram):
        seen += histogram[value]
        if lo is None and seen > lo_i:
            lo = value
        if seen > hi_i:
            hi = value
            break
    return (lo + hi) / 2
