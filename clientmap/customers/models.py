"""Derived customer relations (C1/C2). Never typed in: rebuilt by ``customers.rules``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientmap.directory.models import Person, Team


class Kind(models.TextChoices):
    INTERNAL = "internal", _("internal")
    EXTERNAL_PAYING = "external_paying", _("external paying")
    EXTERNAL_NONPAYING = "external_nonpaying", _("external non-paying")


class CustomerRelation(models.Model):
    """Person ``person`` is a customer (or, with ``is_customer`` false, a prospect) of ``team``.

    The evidence itself (which requests and involvements) is read on demand from the indexed
    request and involvement tables by ``customers.selectors.evidence``; this row keeps what lists
    and filters need.
    """

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        related_name="customer_relations",
        verbose_name=_("team"),
        db_index=False,  # the (team, person) unique index and relation_team_kind cover it
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="customer_relations",
        verbose_name=_("person"),
    )
    is_customer = models.BooleanField(
        _("customer"),
        help_text=_("False for a prospect: only declined, withdrawn or never-accepted requests."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    basis_r = models.BooleanField(_("requested (R)"), default=False)
    basis_d = models.BooleanField(_("decides (D)"), default=False)
    basis_s = models.BooleanField(_("specifies (S)"), default=False)
    basis_i = models.BooleanField(_("implements (I)"), default=False)
    active = models.BooleanField(_("active"))
    first_evidence = models.DateField(_("first evidence"), null=True)
    last_evidence = models.DateField(_("last evidence"), null=True)
    request_count = models.PositiveIntegerField(_("agreed requests"), default=0)
    involvement_count = models.PositiveIntegerField(_("involvements"), default=0)
    prospect_request_count = models.PositiveIntegerField(
        _("declined or pending requests"), default=0
    )

    class Meta:
        verbose_name = _("customer relation")
        verbose_name_plural = _("customer relations")
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="unique_customer_relation")
        ]
        indexes = [
            models.Index(fields=["team", "is_customer", "kind"], name="relation_team_kind"),
            models.Index(fields=["is_customer", "active", "kind"], name="relation_kind_active"),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.team} ({self.basis})"

    @property
    def basis(self) -> str:
        letters = [
            letter
            for letter, on in (
                ("R", self.basis_r),
                ("D", self.basis_d),
                ("S", self.basis_s),
                ("I", self.basis_i),
            )
            if on
        ]
        return "".join(letters)

    @property
    def customer_evidence(self) -> int:
        """The evidence that makes a customer: agreed requests plus involvements."""
        return self.request_count + self.involvement_count

    @property
    def evidence_total(self) -> int:
        """Every item on the evidence page: the customer evidence plus declined or not-yet-agreed
        requests (published as ``evidence_count`` by the API and the CLI)."""
        return self.request_count + self.involvement_count + self.prospect_request_count


class RecomputeState(models.Model):
    """One row: when the derived relations were last rebuilt and for which day."""

    as_of = models.DateField(_("as of"))
    window_days = models.PositiveIntegerField(_("window (days)"))
    computed_at = models.DateTimeField(_("computed at"))
    seconds = models.FloatField(_("seconds"))
    relations = models.PositiveIntegerField(_("relations"))

    class Meta:
        verbose_name = _("recompute state")
        verbose_name_plural = _("recompute states")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.relations})"


class TeamSummary(models.Model):
    """One team's customer figures, stored with the relations (``customers.summary``): counts
    of its relations — one per person — by what they are."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, primary_key=True, related_name="customer_summary"
    )
    customers = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    prospects = models.PositiveIntegerField(default=0)
    internal = models.PositiveIntegerField(default=0)
    external_paying = models.PositiveIntegerField(default=0)
    external_nonpaying = models.PositiveIntegerField(default=0)
    active_paying = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("team summary")
        verbose_name_plural = _("team summaries")
        indexes = [models.Index(fields=["-active"], name="team_summary_active")]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.customers} customers"


class OrganizationSummary(models.Model):
    """One row: the whole organization's customer figures (``customers.summary``). People
    figures count distinct people; ``*_relations`` count (team, person) pairs."""

    relations = models.PositiveIntegerField(default=0)
    active_relations = models.PositiveIntegerField(default=0)
    prospect_relations = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    prospects = models.PositiveIntegerField(default=0)
    internal = models.PositiveIntegerField(default=0)
    external_paying = models.PositiveIntegerField(default=0)
    external_nonpaying = models.PositiveIntegerField(default=0)
    teams_with_customers = models.PositiveIntegerField(default=0)
    # Everyone in the directory: counted by each rebuild, and kept by the person signals between
    # rebuilds (a new person has no relation, so it changes nothing else).
    people = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("organization summary")
        verbose_name_plural = _("organization summaries")

    def __str__(self) -> str:
        return f"{self.customers} customers"


class NobodysCustomer(models.Model):
    """A person who is nobody's customer (no team counts them as one; prospects included):
    rebuilt with the relations (``customers.summary``) and added by the person signals when a
    person is made (a new person has no relation yet). The overview lists the first few by name
    from here instead of testing every person against every relation."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="nobodys_customer"
    )

    class Meta:
        verbose_name = _("nobody's customer")
        verbose_name_plural = _("nobody's customers")

    def __str__(self) -> str:
        return str(self.person_id)
