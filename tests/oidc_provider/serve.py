"""Start the test OpenID provider: ``python -m tests.oidc_provider.serve CONFIG.json``.

CONFIG.json (written by the test, in a temporary folder beside ``key.pem``)::

    {"client": {"client_id": …, "client_secret": …, "redirect_uri": …},
     "users": [{"username": …, "password": …, "email": …,
                "email_verified": true | false | null, "staff": false}],
     "lifetime_seconds": 300}

Makes the provider's SQLite database in that folder, registers the confidential client
(authorization code, RS256 ID tokens, consent asked) and the users, then serves on a free port of
127.0.0.1 and prints ``listening PORT`` (or ``no-port REASON`` and exits 3). It stops when its
standard input closes (the test is done, or died) or after ``lifetime_seconds``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path


def _setup(config: dict) -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.validators import UNVERIFIED, VERIFIED

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    groups = {
        True: Group.objects.get_or_create(name=VERIFIED)[0],
        False: Group.objects.get_or_create(name=UNVERIFIED)[0],
    }
    for u in config["users"]:
        user = User.objects.create_user(u["username"], u["email"], u["password"])
        if u.get("staff"):  # staff (and superuser) here, at the provider: means nothing there
            user.is_staff = user.is_superuser = True
            user.save()
        if u.get("email_verified") is not None:
            user.groups.add(groups[bool(u["email_verified"])])
    client = config["client"]
    Application.objects.create(
        name="Clientmap",
        client_id=client["client_id"],
        client_secret=client["client_secret"],  # stored hashed
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )


def main(argv: list[str]) -> int:
    config_path = Path(argv[0]).resolve()
    config = json.loads(config_path.read_text())
    os.environ["OIDC_PROVIDER_DIR"] = str(config_path.parent)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    _setup(config)

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    try:
        httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    except OSError as exc:
        print(f"no-port {exc}", flush=True)
        return 3
    httpd.set_app(WSGIHandler())

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        httpd.shutdown()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    timer = threading.Timer(float(config.get("lifetime_seconds", 300)), httpd.shutdown)
    timer.daemon = True
    timer.start()
    print(f"listening {httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
