"""``clientmap token create USER [--read-only] [--expires DAYS]``, ``token list``, ``token revoke``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clientmap.core import tokens
from clientmap.core.models import ApiToken


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens (Authorization: Bearer …)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token for USER, printed once")
        create.add_argument("user")
        create.add_argument("--read-only", action="store_true", help="GET requests only")
        create.add_argument("--expires", type=float, metavar="DAYS", help="expire after DAYS")
        create.add_argument("--name", default="", help="what the token is for")
        lst = sub.add_parser("list", help="tokens (of USER), without their secret")
        lst.add_argument("user", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (cm_xxxxxxxx)")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, f"_{action}")(**opts)

    def _user(self, name: str):
        try:
            return tokens.user_by_name(name)
        except Exception:
            raise CommandError(f"No user named {name!r}.") from None

    def _create(self, user: str, read_only: bool, expires: float | None, name: str, **_) -> None:
        u = self._user(user)
        if not u.is_active:
            raise CommandError(f"User {user!r} is not active.")
        if expires is not None and expires <= 0:
            raise CommandError("--expires must be a positive number of days.")
        record, text = tokens.create_token(u, read_only=read_only, expires_days=expires, name=name)
        self.stderr.write(
            f"Token {record.prefix}… for {u.get_username()} ({record.get_scope_display()}"
            + (f", expires {record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else "")
            + "). It is shown once; store it now:"
        )
        self.stdout.write(text)

    def _list(self, user: str | None = None, **_) -> None:
        qs = ApiToken.objects.select_related("user").order_by("user__username", "-created")
        if user:
            qs = qs.filter(user=self._user(user))
        for t in qs:
            state = (
                "revoked"
                if t.revoked_at
                else (
                    "expired"
                    if t.expires_at and t.expires_at.timestamp() < __import__("time").time()
                    else "live"
                )
            )
            self.stdout.write(
                "\t".join(
                    [
                        t.prefix,
                        t.user.get_username(),
                        t.scope,
                        state,
                        f"{t.created:%Y-%m-%d}",
                        f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "-",
                        f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                        t.name,
                    ]
                )
            )

    def _revoke(self, prefix: str, **_) -> None:
        found = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if not found:
            raise CommandError(f"No live token starts with {prefix!r}.")
        for t in found:
            tokens.revoke(t)
        self.stdout.write(f"Revoked {len(found)} token(s).")
