"""``clientmap unlock USER``: lift a sign-in lockout (django-axes) for a user name."""

from __future__ import annotations

from axes.utils import reset
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Lift the sign-in lockout of USER (after too many failed attempts)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user")

    def handle(self, *args, user: str, **opts) -> None:
        n = reset(username=user)
        self.stdout.write(f"Unlocked {user} ({n} lockout record(s) removed).")
