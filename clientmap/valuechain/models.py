"""What the value chain records: the messages sent to customers about a failure (V2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImpactNotice(models.Model):
    """One message sent to one direct customer affected by a service failure ("tell the affected
    customers", from a service's impact page or from a ranked alert).

    This is the touchpoint record of the recipient's journey until the experience area adds
    journeys: one row per recipient and message, with what was sent, to which address, in which
    language, when and by whom. Rows are kept when the service is deleted (``service_key`` stays).
    """

    person = models.ForeignKey(
        "directory.Person",
        on_delete=models.CASCADE,
        related_name="impact_notices",
        verbose_name=_("person"),
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="impact_notices",
        verbose_name=_("service"),
    )
    service_key = models.CharField(_("service key"), max_length=200)
    alert_key = models.CharField(_("alert"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("impact notice")
        verbose_name_plural = _("impact notices")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-sent_at"], name="notice_service_sent"),
            models.Index(fields=["person", "-sent_at"], name="notice_person_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.service_key} → {self.email} ({self.sent_at:%Y-%m-%d %H:%M})"


class Alert(models.Model):
    """An alert kept from a feed (the workbook's alerts.csv, or a feed uploaded and kept), so the
    overview can tell which teams' paying customers the month's alerts reach. ``service`` is the
    component resolved by key, then by name; an unknown component is kept with no service and
    shown as unknown, never dropped."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    component = models.CharField(_("component"), max_length=300)
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("service"),
    )
    severity = models.CharField(_("severity"), max_length=50, blank=True)
    time = models.DateTimeField(_("time"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-time", "key"]
        indexes = [models.Index(fields=["time"], name="alert_time")]

    def __str__(self) -> str:
        return f"{self.key}: {self.component}"


# --- reach sets: derived, never typed in (``clientmap.valuechain.reachsets``) -----------------


class ReachSet(models.Model):
    """One set of teams that some service's failure, or some team's work, reaches in the value
    chain (many services reach the same set: every team, say), with the figures of its direct
    customers — the C1 customers (people) of those teams — counted once per person.

    ``digest`` names the set by its teams' keys (``reachsets.digest``): a reader finds the set of
    the teams its search reached by that name, so a stored set is always exactly those teams.
    The figures below and the ``ReachSetPerson`` rows are stored for the large sets
    (``stored``: more customer relations than ``reachsets.LARGE``); a small set's are read
    through a join of its teams (``ReachSetTeam``) with the relations.
    """

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    teams = models.PositiveIntegerField(_("teams"), default=0)
    relations = models.PositiveIntegerField(
        _("customer relations"), default=0, help_text=_("Of its teams, when it was built.")
    )
    stored = models.BooleanField(
        _("customers stored"),
        default=False,
        help_text=_("Its direct customers and their figures are stored (a large set)."),
    )
    internal = models.PositiveIntegerField(_("internal customers"), default=0)
    external = models.PositiveIntegerField(_("external customers"), default=0)
    external_paying = models.PositiveIntegerField(_("external paying customers"), default=0)
    recipients = models.PositiveIntegerField(
        _("recipients"), default=0, help_text=_("With an e-mail address and an active relation.")
    )
    recipients_all = models.PositiveIntegerField(
        _("recipients, lapsed included"), default=0, help_text=_("With an e-mail address.")
    )

    class Meta:
        verbose_name = _("reach set")
        verbose_name_plural = _("reach sets")

    def __str__(self) -> str:
        return f"{self.digest[:12]} ({self.teams} teams)"


class ReachSetTeam(models.Model):
    """A team of a reach set."""

    reach_set = models.ForeignKey(
        ReachSet, on_delete=models.CASCADE, related_name="members", verbose_name=_("reach set")
    )
    team = models.ForeignKey(
        "directory.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )

    class Meta:
        verbose_name = _("team of a reach set")
        verbose_name_plural = _("teams of reach sets")
        constraints = [
            models.UniqueConstraint(fields=["team", "reach_set"], name="unique_reach_set_team")
        ]

    def __str__(self) -> str:
        return f"{self.reach_set_id}: {self.team_id}"


class ReachSetPerson(models.Model):
    """A direct customer of a reach set: a C1 customer of at least one of its teams, with what
    the impact page lists — the best kind of their relations to those teams (``rank``: 0
    external paying, 1 external non-paying, 2 internal), the lowest team id among them (the
    path shown), whether one is active, the last evidence — and the person's name, e-mail and
    language as they are (the lists' order and the recipients)."""

    # Rows written in bulk by every rebuild (about 190 000 at 1 000 000 requests): no database
    # constraint to check them one by one at commit (a third of the rebuild on PostgreSQL) and
    # no index but the two below; deleting a person or a team deletes their rows (Django's
    # cascade), and every rebuild writes them all again from the tables they come from.
    reach_set = models.ForeignKey(
        ReachSet,
        on_delete=models.CASCADE,
        related_name="people",
        verbose_name=_("reach set"),
        db_index=False,  # the indexes below start with it
        db_constraint=False,
    )
    person = models.ForeignKey(
        "directory.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
        db_index=False,
        db_constraint=False,
    )
    team = models.ForeignKey(
        "directory.Team",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
        db_index=False,  # read through the set, never by team
        db_constraint=False,
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    internal = models.BooleanField(_("internal"))
    external = models.BooleanField(_("external"))
    active = models.BooleanField(_("active"))
    last_evidence = models.DateField(_("last evidence"), null=True)
    name = models.CharField(_("name"), max_length=300)
    # 1 when the person has an e-mail address, else 0: an integer, so that the equality is an
    # index range on SQLite (a bare boolean column in WHERE is not)
    has_email = models.PositiveSmallIntegerField(_("has an e-mail address"))
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("direct customer of a reach set")
        verbose_name_plural = _("direct customers of reach sets")
        indexes = [
            models.Index(fields=["reach_set", "rank", "name", "person"], name="reach_person_rank"),
            models.Index(
                fields=["reach_set", "has_email", "name", "person"], name="reach_person_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reach_set_id}: {self.person_id}"


class ReachSetLanguage(models.Model):
    """The recipients of a reach set by their language (``Person.language`` as written)."""

    reach_set = models.ForeignKey(
        ReachSet, on_delete=models.CASCADE, related_name="languages", verbose_name=_("reach set")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    recipients_all = models.PositiveIntegerField(_("recipients, lapsed included"), default=0)

    class Meta:
        verbose_name = _("recipient language of a reach set")
        verbose_name_plural = _("recipient languages of reach sets")

    def __str__(self) -> str:
        return f"{self.reach_set_id}: {self.language or '-'}"
