"""What people ask of teams (requests) and how they take part in a team's work (involvements)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientmap.catalog.models import Service
from clientmap.directory.models import Person, Team


class Request(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        IN_PROGRESS = "in_progress", _("in progress")
        FULFILLED = "fulfilled", _("fulfilled")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Payment(models.TextChoices):
        CASH = "cash", _("cash")
        TRADE = "trade", _("trade")
        CHARGEBACK = "chargeback", _("chargeback")
        INTERNAL = "internal", _("internal budget")
        FREE = "free", _("free")

    # C1 R: the team agreed to fulfil the request.
    AGREED = (Status.ACCEPTED, Status.IN_PROGRESS, Status.FULFILLED)
    # C2: payment that makes the requester's organization a paying customer.
    PAYING = (Payment.CASH, Payment.TRADE)

    key = models.CharField(_("key"), max_length=200, unique=True)
    # (requester, team) and (team, status) indexes below cover these two foreign keys.
    requester = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="requests",
        verbose_name=_("requester"),
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        related_name="requests",
        verbose_name=_("team"),
        db_index=False,
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("service"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    payment = models.CharField(
        _("payment"), max_length=12, choices=Payment.choices, default=Payment.FREE
    )
    opened = models.DateField(_("opened"))
    accepted = models.DateField(_("accepted"), null=True, blank=True)
    target = models.DateField(_("target date"), null=True, blank=True)
    closed = models.DateField(_("closed"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    # What the request was worth, when known (a purchase, an invoice line); the fit area uses it.
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code, e.g. EUR")
    )

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-opened", "key"]
        indexes = [
            models.Index(fields=["requester", "team"], name="request_requester_team"),
            models.Index(fields=["team", "status"], name="request_team_status"),
            # the request list's default order (newest first): a page is an index scan
            models.Index(fields=["-opened", "key"], name="request_opened_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}".strip()

    @property
    def evidence_date(self):
        """The date C1 uses for this request: its latest known date."""
        return self.closed or self.accepted or self.opened


class Involvement(models.Model):
    class Role(models.TextChoices):
        DECIDES = "decides", _("decides")
        SPECIFIES = "specifies", _("specifies")
        IMPLEMENTS = "implements", _("implements / supports")

    BASIS = {Role.DECIDES: "D", Role.SPECIFIES: "S", Role.IMPLEMENTS: "I"}

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="involvements",
        verbose_name=_("person"),
        db_index=False,  # covered by the (person, team) index
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="involvements", verbose_name=_("team")
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="involvements",
        verbose_name=_("service"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    date = models.DateField(_("date"))
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("Where this involvement is known from: ticket approval, contract, meeting…"),
    )
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")
        ordering = ["-date"]
        indexes = [models.Index(fields=["person", "team"], name="involvement_person_team")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_role_display()} {self.team}"


class TeamRequestFigures(models.Model):
    """One team's request figures for the overview, as of a day (``engagements.figures``): how
    many requests, open, opened in the last 30 days, and how many fulfilled with a target were
    closed by it in the last 90 days and the 90 before. Kept current by every write of a request
    (same transaction) and rebuilt whole with every whole rebuild of the customer relations
    (imports, a new day)."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, primary_key=True, related_name="request_figures"
    )
    as_of = models.DateField()
    total = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    recent = models.PositiveIntegerField(default=0)
    measured = models.PositiveIntegerField(default=0)  # fulfilled, with target and closing date
    n = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    n_before = models.PositiveIntegerField(default=0)
    on_time_before = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("team request figures")
        verbose_name_plural = _("team request figures")

    def __str__(self) -> str:
        return f"{self.team_id}: {self.total} requests"
