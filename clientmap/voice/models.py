"""Voice of the customer (W1): wishes, one vote per person per wish, triage, attestation."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientmap.catalog.models import Service
from clientmap.directory.models import Person, Team

TITLE_MAX = 300  # the title column's length
TEXT_MAX = 10_000  # what a wish, comment or reason may hold (checked before it is stored)


class Wish(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("new")
        UNDER_REVIEW = "under_review", _("under review")
        ALREADY_COVERED = "already_covered", _("already covered")
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DELIVERED = "delivered", _("delivered")
        DECLINED = "declined", _("declined")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        ORGANIZATION = "organization", _("the author's organization only")

    key = models.CharField(_("key"), max_length=200, unique=True)
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("author")
    )
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"), blank=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wishes",
        verbose_name=_("team"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wishes",
        verbose_name=_("service"),
    )
    covered_by = models.ManyToManyField(
        Service, blank=True, related_name="covered_wishes", verbose_name=_("covered by")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    public_reason = models.TextField(
        _("public reason"), blank=True, help_text=_("Shown to customers when a wish is declined.")
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    vote_count = models.PositiveIntegerField(
        _("votes"), default=0, help_text=_("Kept exact from the vote table.")
    )
    # The weighted demand (voice.demand), stored and kept current by clientmap.voice.store:
    # sorting and filtering by demand read this indexed column instead of weighing every vote.
    weighted_demand = models.PositiveIntegerField(_("demand"), default=0, editable=False)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-vote_count", "-created"]
        indexes = [
            models.Index(fields=["status", "-vote_count"], name="wish_status_votes"),
            models.Index(fields=["team", "status"], name="wish_team_status"),
            models.Index(
                fields=["-weighted_demand", "-vote_count", "-created"], name="wish_demand"
            ),
            # the wish list's other orders (most votes, newest): index scans, not a sort of
            # every wish
            models.Index(fields=["-vote_count", "-created"], name="wish_votes"),
            models.Index(fields=["-created"], name="wish_created"),
            # the overview's open wishes (``voice.overview``): their count read from the index
            # alone, the most wanted in index order (plain indexes: SQLite cannot use a partial
            # index for a query whose values are bound parameters)
            models.Index(fields=["merged_into", "status"], name="wish_merged_status"),
            models.Index(fields=["-weighted_demand", "-vote_count", "key"], name="wish_demand_key"),
        ]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    """One vote per person per wish, guaranteed by the database, not by a check."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="votes")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["wish", "person"], name="one_vote")]
        indexes = [models.Index(fields=["person"], name="vote_person")]

    def __str__(self) -> str:
        return f"{self.person} → {self.wish}"


class Comment(models.Model):
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="comments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wish_comments")
    text = models.TextField(_("text"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created"]

    def __str__(self) -> str:
        return self.text[:60]


class Follow(models.Model):
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="follows")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="follows")

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["wish", "person"], name="one_follow")]

    def __str__(self) -> str:
        return f"{self.person} follows {self.wish}"


class StatusChange(models.Model):
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="status_changes")
    old = models.CharField(_("from"), max_length=20, choices=Wish.Status.choices)
    new = models.CharField(_("to"), max_length=20, choices=Wish.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.wish}: {self.old} → {self.new}"


class Notification(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="notifications")
    text = models.TextField(_("text"))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.text[:60]


def _token() -> str:
    return secrets.token_urlsafe(24)


class Attestation(models.Model):
    """After delivery: did it help you do something better? One answer per person, by a link."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="attestations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attestations")
    token = models.CharField(max_length=64, unique=True, default=_token)
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    helped = models.BooleanField(_("it helped"), null=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        constraints = [models.UniqueConstraint(fields=["wish", "person"], name="one_attestation")]

    def __str__(self) -> str:
        return f"{self.person} on {self.wish}"

    def link_token(self) -> str:
        """The signed, expiring token of this attestation's one-use link (for the URL)."""
        from clientmap.core.signing import make_token

        return make_token(ATTESTATION_PURPOSE, self.token)


ATTESTATION_PURPOSE = "attestation"


class WishTally(models.Model):
    """How many wishes are open (not merged, not delivered, declined or already covered): one
    row (id 1), kept by database triggers on ``voice_wish`` in the transaction of every write
    that changes it (``voice.tally``). No row: not known (read by counting)."""

    open = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.open)
