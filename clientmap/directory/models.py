"""Who is who: organizations and their units, people, and the home organization's provider teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=300)
    is_home = models.BooleanField(
        _("home organization"),
        default=False,
        help_text=_("The user's own organization. Exactly one organization is home."),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_home"], condition=Q(is_home=True), name="one_home_organization"
            )
        ]
        # the organizations page's order (home first, then by name): a page is an index scan
        indexes = [models.Index(fields=["-is_home", "name", "id"], name="organization_home_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organization", args=[self.key])


class Unit(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="units", verbose_name=_("organization")
    )
    name = models.CharField(_("name"), max_length=300)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """An individual. Customers are people, not organizations (C1)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=300)
    email = models.EmailField(_("e-mail"), blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("organization"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("unit"),
    )
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("manager"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
        help_text=_("The login of this person, for team members and customer portal users."),
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    ui_language = models.CharField(
        _("language of the pages"),
        max_length=10,
        blank=True,
        db_default="",
        choices=settings.LANGUAGES,
        help_text=_("Chosen with the language switch; empty until the person chooses one."),
    )
    delivery = models.CharField(
        _("how to be told"),
        max_length=10,
        choices=[
            ("both", _("in the app and by e-mail")),
            ("app", _("in the app only")),
            ("mail", _("by e-mail only")),
        ],
        db_default="both",
        help_text=_("Where notifications go: the inbox (the bell), e-mail, or both."),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]
        # lists by name (the people page, nobody's customers): a page is an index scan, not a
        # sort of everyone
        indexes = [models.Index(fields=["name", "id"], name="person_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:person", args=[self.key])


class Team(models.Model):
    """A provider team of the home organization."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=300)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("unit"),
    )
    members = models.ManyToManyField(
        Person, through="TeamMembership", related_name="teams", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        indexes = [models.Index(fields=["name", "id"], name="team_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:team", args=[self.key])


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, verbose_name=_("team"))
    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("person"))

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="unique_team_member")
        ]

    def __str__(self) -> str:
        return f"{self.person} ∈ {self.team}"


class Message(models.Model):
    """One notification in a person's inbox (the bell): an impact notice they received, a wish
    merged or changed, an import finished, and later a survey answered. Every area posts through
    :func:`clientmap.directory.inbox.tell`, which also honours ``Person.delivery``."""

    class Kind(models.TextChoices):
        IMPACT = "impact", _("service disruption")
        WISH = "wish", _("wish")
        IMPORT = "import", _("import")
        SURVEY = "survey", _("survey")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="messages", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["person", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return self.subject
