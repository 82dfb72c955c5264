"""Experience and satisfaction (X1): every touchpoint of a customer's journey, and the surveys
that ask for a score without a login.

``Touchpoint`` holds both kinds of interaction:

* *recorded* ones (``derived`` false): typed in by staff, imported from ``touchpoints.csv`` or
  posted to the API — meetings, calls, mails, notices, survey answers from another tool, and
  answers to our own surveys. They have a ``key`` (unique) so an import is idempotent;
* *derived* ones (``derived`` true): rebuilt set-based by ``experience.derive`` from the
  requests (a promise: fulfilled, or due) and from the value chain's impact notices. They have
  no key; their identity is (request, kind) or the notice. A request's opened, accepted and
  declined touchpoints are not stored: ``derive.events`` reads them from the requests.

``Survey`` is one request for feedback sent to one person (after a fulfilled request, to its
deciders and specifiers, or in bulk to a segment). Its answer is a ``Touchpoint`` of kind
``survey`` with a score 1–5.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientmap.catalog.models import Service
from clientmap.directory.models import Person, Team
from clientmap.engagements.models import Request

# The touchpoint kinds the satisfaction figures read: answers, and promises fulfilled and due.
FIGURE_KINDS = ("survey", "fulfilled", "due")


class Touchpoint(models.Model):
    class Kind(models.TextChoices):
        SURVEY = "survey", _("survey answer")
        MEETING = "meeting", _("meeting")
        CALL = "call", _("call")
        MAIL = "mail", _("mail")
        NOTICE = "notice", _("notice")
        OPENED = "opened", _("request opened")
        ACCEPTED = "accepted", _("request accepted")
        FIRST_ANSWER = "first_answer", _("first answer")
        FULFILLED = "fulfilled", _("request fulfilled")
        DECLINED = "declined", _("request declined")
        DUE = "due", _("target date of an open request")

    # Kinds the rebuild stores from requests (a request's promise; ``experience.derive``).
    DERIVED_FROM_REQUESTS = (Kind.FULFILLED, Kind.DUE)
    # Kinds of a request read from its row where they are shown (the journey), never stored.
    READ_FROM_REQUESTS = (Kind.OPENED, Kind.ACCEPTED, Kind.DECLINED)
    # Kinds a person may record by hand, import or post (the derived ones are rebuilt).
    RECORDABLE = (
        Kind.SURVEY,
        Kind.MEETING,
        Kind.CALL,
        Kind.MAIL,
        Kind.NOTICE,
        Kind.FIRST_ANSWER,
        Kind.OPENED,
        Kind.ACCEPTED,
        Kind.FULFILLED,
        Kind.DECLINED,
    )

    key = models.CharField(_("key"), max_length=200, null=True, blank=True)
    derived = models.BooleanField(_("derived"), default=False)
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="touchpoints",
        verbose_name=_("person"),
        db_index=False,  # the (person, day) index covers it
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="touchpoints",
        verbose_name=_("team"),
        db_index=False,  # the figures' (team, kind, day) index; a team's deletion scans
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="touchpoints",
        verbose_name=_("service"),
        db_index=False,  # the figures' (service, kind, day) index; a deletion scans
    )
    request = models.ForeignKey(
        Request,
        on_delete=models.SET_NULL,  # a recorded answer outlives its request
        null=True,
        blank=True,
        related_name="touchpoints",
        verbose_name=_("request"),
        db_index=False,  # the (request, kind) index covers it
    )
    notice = models.ForeignKey(
        "valuechain.ImpactNotice",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="touchpoints",
        verbose_name=_("impact notice"),
        db_index=False,  # partial index below
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    delay = models.IntegerField(
        _("days late"),
        null=True,
        blank=True,
        help_text=_(
            "Derived ``fulfilled`` touchpoints of a request with a target date: days after the "
            "target (0 when kept)."
        ),
    )
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        db_index=False,  # partial index below: derived touchpoints have none
    )

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["-day", "-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(key__isnull=False), name="unique_touchpoint_key"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="touchpoint_score_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "kind", "day"], name="touchpoint_person_kind_day"),
            # The figures read three kinds only (answers, promises fulfilled and due): the
            # (team, kind, day) and (kind, day) indexes hold those rows alone — a third of the
            # derived ones — and the figures' queries name the same condition
            # (``selectors.FIGURE_ROWS``) so that SQLite, which matches a partial index's
            # condition term by term, uses them. Deleting a team or a service (SET NULL) scans.
            models.Index(
                fields=["team", "kind", "day"],
                condition=Q(kind__in=FIGURE_KINDS),
                name="touchpoint_figures_team",
            ),
            models.Index(
                fields=["kind", "day"],
                condition=Q(kind__in=FIGURE_KINDS),
                name="touchpoint_figures",
            ),
            models.Index(fields=["request", "kind"], name="touchpoint_request_kind"),
            models.Index(
                fields=["notice"], condition=Q(notice__isnull=False), name="touchpoint_notice"
            ),
            models.Index(
                fields=["service", "kind", "day"],
                condition=Q(kind__in=FIGURE_KINDS, service__isnull=False),
                name="touchpoint_figures_service",
            ),
            models.Index(
                fields=["recorded_by"],
                condition=Q(recorded_by__isnull=False),
                name="touchpoint_recorded_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.person_id}"


class Survey(models.Model):
    """One request for feedback, to one person, by a signed link that needs no login."""

    class Reason(models.TextChoices):
        FULFILLED = "fulfilled", _("request fulfilled (requester)")
        DECIDER = "decider", _("decided on the request")
        SPECIFIER = "specifier", _("specified the request")
        SEGMENT = "segment", _("segment survey")

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="surveys",
        verbose_name=_("person"),
        db_index=False,  # the (person, sent_at) index covers it
    )
    request = models.ForeignKey(
        Request,
        on_delete=models.SET_NULL,  # the response rate keeps its history
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("request"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("team"),
        db_index=False,  # the (team, sent_at) index covers it
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("service"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer = models.OneToOneField(
        Touchpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey",
        verbose_name=_("answer"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "person"],
                condition=Q(request__isnull=False),
                name="one_survey_per_request_and_person",
            )
        ]
        indexes = [
            models.Index(fields=["person", "sent_at"], name="survey_person_sent"),
            models.Index(fields=["team", "sent_at"], name="survey_team_sent"),
            models.Index(fields=["sent_at"], name="survey_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.sent_at:%Y-%m-%d}"


class DeriveState(models.Model):
    """One row: when the derived touchpoints were last rebuilt, and how long it took."""

    computed_at = models.DateTimeField(_("computed at"))
    seconds = models.FloatField(_("seconds"))
    touchpoints = models.PositiveIntegerField(_("derived touchpoints"))

    class Meta:
        verbose_name = _("derive state")
        verbose_name_plural = _("derive states")

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M} ({self.touchpoints})"


class SatisfactionRow(models.Model):
    """A derived table (``core.derived``, name ``satisfaction``): the X1 figures of every team,
    service, organization and customer kind over the default window, for every customer kind
    (``customer_kind`` = "" is everyone), rebuilt set-based by ``experience.store`` so that a
    satisfaction page sorts, filters and pages in SQL. The ratios are stored beside the counts
    they come from, so every column sorts in SQL; ``delays`` is the delay histogram (days late →
    promises) the median comes from."""

    by = models.CharField(max_length=12)
    customer_kind = models.CharField(max_length=20, blank=True)
    group_id = models.BigIntegerField(null=True)  # the team, service or organization; else None
    group = models.CharField(max_length=200, blank=True)  # its key (a kind's value for by=kind)
    name = models.CharField(max_length=300)
    team_key = models.CharField(max_length=200, blank=True)  # a service's team
    answers = models.IntegerField(default=0)
    good = models.IntegerField(default=0)
    score_sum = models.IntegerField(default=0)
    recent = models.IntegerField(default=0)
    recent_good = models.IntegerField(default=0)
    before = models.IntegerField(default=0)
    before_good = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    kept = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    delays = models.JSONField(default=dict)
    csat = models.FloatField(null=True)
    mean_score = models.FloatField(null=True)
    csat_trend = models.FloatField(null=True)
    response_rate = models.FloatField(null=True)
    kept_share = models.FloatField(null=True)
    median_delay = models.FloatField(null=True)

    class Meta:
        verbose_name = _("satisfaction figures")
        verbose_name_plural = _("satisfaction figures")
        indexes = [
            models.Index(fields=["by", "customer_kind", "answers"], name="satisfaction_answers"),
            models.Index(fields=["by", "customer_kind", "name"], name="satisfaction_name"),
            models.Index(fields=["by", "group_id"], name="satisfaction_group"),  # scoped rebuild
        ]

    def __str__(self) -> str:
        return f"{self.by} {self.name} {self.customer_kind}".strip()

    @property
    def key(self) -> str:
        return self.group

    @property
    def figures(self):
        """The row as ``selectors.Figures`` (the same cells as every other figure table)."""
        from clientmap.experience.selectors import Answers, Figures, Promises, Responses

        return Figures(
            Answers(
                self.answers,
                self.good,
                self.score_sum,
                self.recent,
                self.recent_good,
                self.before,
                self.before_good,
            ),
            Promises(
                self.due, self.kept, self.overdue, {int(d): n for d, n in self.delays.items()}
            ),
            Responses(self.sent, self.answered),
        )


class SatisfactionChange(models.Model):
    """A group of the satisfaction table (``SatisfactionRow``) whose inputs changed since it was
    last built: a team, a service or an organization (``group_id``; None is the "(none)" group
    of rows without a team or service), or every group (``by`` = "all"). Written in the
    writing transaction beside the table's ``core.derived`` version, consumed by the next
    rebuild (``experience.store.ensure_current``), which rebuilds just these groups."""

    by = models.CharField(max_length=12)
    group_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("satisfaction change")
        verbose_name_plural = _("satisfaction changes")

    def __str__(self) -> str:
        return f"{self.by} {self.group_id}"
