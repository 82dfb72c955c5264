"""``clientmap serve``: the production server — gunicorn, several processes, WhiteNoise statics.

Settings come from the environment (docs/deployment.md): ``CLIENTMAP_WEB_WORKERS`` processes
(default 2 × CPUs + 1, at most 8) of ``CLIENTMAP_WEB_THREADS`` threads (default 4), a request
timeout of ``CLIENTMAP_WEB_TIMEOUT`` seconds (default 60). ``--with-worker`` also starts a
``clientmap worker`` beside it (one command for a laptop or the demo; in production run the
worker as its own service).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


def default_workers() -> int:
    return min(8, 2 * (os.cpu_count() or 1) + 1)


def gunicorn_options(bind: str, workers: int, threads: int, timeout: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,  # a worker silent for this long is killed and replaced
        "graceful_timeout": 30,  # on restart, requests in flight get this long to finish
        "keepalive": 5,
        "max_requests": 5000,  # recycle processes now and then: memory stays flat
        "max_requests_jitter": 500,
        "limit_request_line": 8190,
        "backlog": 2048,
        "accesslog": os.environ.get("CLIENTMAP_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": os.environ.get("CLIENTMAP_SERVER_LOG_LEVEL", "warning"),
        "proc_name": "clientmap",
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        "preload_app": True,
    }


class Command(BaseCommand):
    help = _("Serve Clientmap with the production server (gunicorn and WhiteNoise).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addr",
            nargs="?",
            default=os.environ.get("CLIENTMAP_ADDR", "127.0.0.1:8000"),
            help=_("address:port to listen on (default 127.0.0.1:8000)"),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CLIENTMAP_WEB_WORKERS", "0") or 0) or default_workers(),
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("CLIENTMAP_WEB_THREADS", "4"))
        )
        parser.add_argument(
            "--timeout", type=int, default=int(os.environ.get("CLIENTMAP_WEB_TIMEOUT", "60"))
        )
        parser.add_argument("--with-worker", action="store_true", help=_("also run a jobs worker"))
        parser.add_argument(
            "--no-collectstatic", action="store_true", help=_("do not collect static files first")
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from gunicorn.app.base import BaseApplication

        if not opts["no_collectstatic"] and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        bind = opts["addr"] if ":" in opts["addr"] else f"127.0.0.1:{opts['addr']}"
        options = gunicorn_options(bind, opts["workers"], opts["threads"], opts["timeout"])

        class App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self):
                from clientmap.wsgi import application

                return application

        worker = None
        if opts["with_worker"]:
            exe = Path(sys.argv[0]).with_name("clientmap")
            cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clientmap"]
            worker = subprocess.Popen([*cmd, "worker"])
        self.stdout.write(
            _("Serving on http://%(bind)s/ with %(w)d processes × %(t)d threads.")
            % {"bind": bind, "w": options["workers"], "t": options["threads"]}
        )
        try:
            App().run()
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
