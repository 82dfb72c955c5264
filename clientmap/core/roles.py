"""The three roles: staff, team member (a person in a provider team), customer portal user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def person_of(user: AbstractBaseUser | AnonymousUser):
    if not user.is_authenticated:
        return None
    return getattr(user, "person", None)


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def is_team_member(user) -> bool:
    person = person_of(user)
    return bool(person and person.teammembership_set.exists())


def is_internal_user(user) -> bool:
    """Staff and team members see the internal pages and API; portal users only the portal."""
    return is_staff(user) or is_team_member(user)


def role_of(user) -> str:
    if is_staff(user):
        return "staff"
    if is_team_member(user):
        return "team_member"
    if person_of(user) is not None:
        return "portal"
    return "none"
