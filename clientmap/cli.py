"""The ``clientmap`` console script: Django's management commands behind a friendly name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command (``clientmap migrate``, ``clientmap customers T`` …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["clientmap", *argv])
    args[0] = "clientmap"
    if len(args) > 1 and not args[1].startswith("-"):
        # ``clientmap customer-of`` runs the ``customer_of`` command.
        args[1] = args[1].replace("-", "_")
    try:
        execute_from_command_line(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # ``clientmap customers T | head``: the reader left; stop quietly, as Unix tools do.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        sys.exit(1)


if __name__ == "__main__":
    main()
