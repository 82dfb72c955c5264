"""Accounts (the commercial side of a customer organization) and their mutual fit (K1).

Typed in or imported: invoices, approvals, ratings, referrals, intents. Derived by
``fit.rules.recompute``: one :class:`Recompute` per run and one :class:`Snapshot` per account
per run (the history). Staff :class:`Override` s win over the computed group until they expire.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientmap.directory.models import Organization, Person


class Group(models.IntegerChoices):
    TOP = 1, _("Top: both want")
    CUSTOMER_WANTS = 2, _("Customer wants, we are unsure")
    WE_WANT = 3, _("Customer does not want, we do")
    NEITHER = 4, _("Neither")


class Invoice(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="invoices",
        verbose_name=_("organization"),
        db_index=False,  # the (organization, due) index covers it
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    issued = models.DateField(_("issued"))
    due = models.DateField(_("due"))
    paid = models.DateField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-due", "key"]
        indexes = [models.Index(fields=["organization", "due"], name="invoice_org_due")]

    def __str__(self) -> str:
        return f"{self.key} {self.amount} {self.currency}".strip()


class Approval(models.Model):
    """A question the customer had to decide on, and how long it waited for the answer."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="approvals",
        verbose_name=_("organization"),
    )
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    important = models.BooleanField(_("important"), default=False)
    asked = models.DateField(_("asked"))
    answered = models.DateField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-asked", "key"]

    def __str__(self) -> str:
        return f"{self.key} {self.subject}".strip()


class Rating(models.Model):
    """Staff's rating of how the customer is to work with (1 = hard … 5 = a pleasure)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="ratings",
        verbose_name=_("organization"),
    )
    rater = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="ratings_given", verbose_name=_("rater")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    date = models.DateField(_("date"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rater", "date"], name="one_rating_per_rater_day"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.score}/5"


class Referral(models.Model):
    class Kind(models.TextChoices):
        REFERRAL = "referral", _("referral")
        CASE_STUDY = "case_study", _("case study")
        PUBLIC_MENTION = "public_mention", _("public mention")
        AWARD = "award", _("award")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="referrals",
        verbose_name=_("organization"),
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "kind", "note"], name="one_referral"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.kind} {self.date}"


class Intent(models.Model):
    class Wants(models.TextChoices):
        RENEW = "renew", _("renew")
        EXPAND = "expand", _("expand")
        REDUCE = "reduce", _("reduce")
        LEAVE = "leave", _("leave")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="intents",
        verbose_name=_("organization"),
    )
    date = models.DateField(_("date"))
    wants = models.CharField(_("wants"), max_length=10, choices=Wants.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "wants", "source"], name="one_intent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.wants} {self.date}"


class FitSettings(models.Model):
    """One row: the weights and thresholds staff changed (the rest are the defaults)."""

    values = models.JSONField(_("values"), default=dict)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fit settings")
        verbose_name_plural = _("fit settings")

    def __str__(self) -> str:
        return str(self.changed_at)


class Recompute(models.Model):
    as_of = models.DateField(_("as of"))
    window_days = models.PositiveIntegerField(_("window (days)"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    seconds = models.FloatField(_("seconds"), default=0)
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    config = models.JSONField(_("settings used"), default=dict)
    # Made by the refresh that follows single writes (``rules.refresh``): amended in place by
    # the writes after it, the same day, while it is the latest run. Runs of the daily job, of an
    # import or of the CLI are kept as they were made.
    live = models.BooleanField(_("amended by later writes"), default=False)
    # How many of the run's snapshots are in each computed group ("1".."4", "none"), counted by
    # the run and by every amend of it (``rules.count_groups``): the overview reads the group
    # counts from here instead of every snapshot (``fit.overview``).
    group_counts = models.JSONField(_("accounts per computed group"), default=dict)

    # How long the run took: a measurement of the run, not its result (``core.backup``'s content
    # checksums leave it out, so two runs that placed everyone alike compare equal).
    MEASURED_FIELDS = ("seconds",)

    class Meta:
        verbose_name = _("fit recompute")
        verbose_name_plural = _("fit recomputes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.accounts})"


class Snapshot(models.Model):
    """One account's placement in one recompute: both axes, the parts, the group."""

    recompute = models.ForeignKey(
        Recompute, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="fit_snapshots", db_index=False
    )
    wants_us = models.FloatField(_("customer wants us"), null=True)
    we_want = models.FloatField(_("we want the customer"), null=True)
    computed_group = models.PositiveSmallIntegerField(
        _("computed group"), choices=Group.choices, null=True
    )
    group = models.PositiveSmallIntegerField(
        _("group"), choices=Group.choices, null=True, help_text=_("With the override, if any.")
    )
    diagnosis = models.CharField(_("diagnosis"), max_length=30, blank=True)
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2, default=0)
    parts = models.JSONField(_("parts"), default=dict)

    class Meta:
        verbose_name = _("fit snapshot")
        verbose_name_plural = _("fit snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["recompute", "organization"], name="one_snapshot_per_recompute"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "recompute"], name="snapshot_org_recompute"),
            models.Index(fields=["recompute", "group"], name="snapshot_recompute_group"),
            # the overview's key accounts: a run's computed group 1 by revenue (``fit.overview``)
            models.Index(
                fields=["recompute", "computed_group", "-revenue", "organization"],
                name="snapshot_group_revenue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.group}"


class Override(models.Model):
    """Staff place an account in a group by hand, with a reason, until a date."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="fit_overrides"
    )
    group = models.PositiveSmallIntegerField(_("group"), choices=Group.choices)
    reason = models.TextField(_("reason"))
    expires = models.DateField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fit override")
        verbose_name_plural = _("fit overrides")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "expires"], name="override_org_expires")]

    def __str__(self) -> str:
        return f"{self.organization} → {self.group} until {self.expires}"
