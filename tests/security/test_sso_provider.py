"""Sign-in with the organization's identity provider, end to end against a real OpenID provider.

The provider is django-oauth-toolkit in OIDC mode (tests/oidc_provider/), a Django project of its
own started here in a subprocess on a free port of 127.0.0.1, with its own SQLite file and an RSA
key generated for the run in a temporary folder. Clientmap runs on pytest-django's live server and
is configured with the ``CLIENTMAP_OIDC_*`` variables an administrator would set from the
provider's discovery document. A ``requests`` session plays the browser: Clientmap → the
provider's sign-in form → its consent page → back to Clientmap's callback, which fetches the
token (client secret, PKCE), checks the RS256 ID token against the provider's JWKS and reads the
userinfo claims. Nothing leaves loopback.

tests/security/test_sso.py covers what a real provider will not do on request (a token issued to
another client) with an in-process fake provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from clientmap.core.models import AuditEvent
from clientmap.core.roles import role_of
from clientmap.directory.models import Person
from clientmap.settings import oidc_settings
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "clientmap", "a-client-secret-for-the-test-run"
PASSWORD = "provider-password"
TIMEOUT = 10

# The provider's users: user name → (e-mail, email_verified claim, staff at the provider)
PROVIDER_USERS = {
    "pat": ("pat@acme.example", True, False),
    "tina": ("tina@provider.example", True, False),
    "boss": ("boss@acme.example", True, True),
    "ursula": ("ursula@acme.example", False, False),
    "sam": ("sam@acme.example", None, False),
    "nobody": ("nobody@acme.example", True, False),
}


class Provider:
    def __init__(self, base: str, process: subprocess.Popen, log: Path) -> None:
        self.base, self.process, self.log = base, process, log
        self.discovery = requests.get(
            f"{base}/o/.well-known/openid-configuration", timeout=TIMEOUT
        ).json()

    def environ(self) -> dict[str, str]:
        """What an administrator sets, read off the provider's discovery document."""
        d = self.discovery
        return {
            "CLIENTMAP_OIDC_CLIENT_ID": CLIENT_ID,
            "CLIENTMAP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "CLIENTMAP_OIDC_ISSUER": d["issuer"],
            "CLIENTMAP_OIDC_AUTHORIZATION_ENDPOINT": d["authorization_endpoint"],
            "CLIENTMAP_OIDC_TOKEN_ENDPOINT": d["token_endpoint"],
            "CLIENTMAP_OIDC_USERINFO_ENDPOINT": d["userinfo_endpoint"],
            "CLIENTMAP_OIDC_JWKS_ENDPOINT": d["jwks_uri"],
            "CLIENTMAP_OIDC_SIGN_ALGO": "RS256",
            "CLIENTMAP_OIDC_NAME": "Acme ID",
        }


def _first_line(stream, timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else ""


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    """The provider, for this module's tests (one per xdist worker: its own port and folder)."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = folder / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem.chmod(0o600)
    config = folder / "config.json"
    config.write_text(
        json.dumps(
            {
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uri": f"{live_server.url}/oidc/callback/",
                },
                "users": [
                    {
                        "username": name,
                        "password": PASSWORD,
                        "email": email,
                        "email_verified": verified,
                        "staff": staff,
                    }
                    for name, (email, verified, staff) in PROVIDER_USERS.items()
                ],
                "lifetime_seconds": 300,
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    log = folder / "provider.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(config)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        first = _first_line(process.stdout, timeout=60)
        if first.startswith("no-port"):
            pytest.skip(f"The test OpenID provider found no free port on 127.0.0.1: {first}")
        if not first.startswith("listening "):
            process.kill()
            raise RuntimeError(
                f"The test OpenID provider did not start ({first!r}):\n{log.read_text()}"
            )
        yield Provider(f"http://127.0.0.1:{first.split()[1]}", process, log)
    finally:
        if process.stdin:
            process.stdin.close()  # the provider stops when its standard input closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sso(settings, provider, home):
    for name, value in oidc_settings(provider.environ()).items():
        setattr(settings, name, value)
    assert settings.OIDC_ENABLED
    settings.ZEAL_ALLOWLIST = [{"model": "sessions.Session"}]  # see test_sso.py
    return provider


class _Forms(HTMLParser):
    """The fields of each form of a page (inputs with a name), by the form's id."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = self.forms.setdefault(a.get("id") or "", {})
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type") != "submit":
                self._current[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def form_fields(html: str, form_id: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    assert form_id in parser.forms, f"no form #{form_id} in:\n{html[:2000]}"
    return parser.forms[form_id]


def sign_in(live_server, provider, username: str, *, next_url: str = "/voice/", consent=True):
    """A browser's round trip; returns its session and the last page it shows."""
    browser = requests.Session()
    r = browser.get(
        f"{live_server.url}/oidc/authenticate/?{urlencode({'next': next_url})}", timeout=TIMEOUT
    )
    # Clientmap sent the browser to the provider, which asks who it is
    assert r.url.startswith(f"{provider.base}/login/"), r.url
    start = urlsplit(r.history[0].headers["Location"])
    assert start.path == urlsplit(provider.discovery["authorization_endpoint"]).path
    asked = {k: v[0] for k, v in parse_qs(start.query).items()}
    assert asked["client_id"] == CLIENT_ID and asked["code_challenge_method"] == "S256"
    assert set(asked["scope"].split()) >= {"openid", "email"} and asked["nonce"]
    r = browser.post(
        r.url,
        data={**form_fields(r.text, "login"), "username": username, "password": PASSWORD},
        timeout=TIMEOUT,
    )
    # signed in at the provider, which asks whether Clientmap may know who they are
    assert "Authorize Clientmap?" in r.text, r.text[:2000]
    fields = form_fields(r.text, "authorizationForm")
    if consent:
        fields["allow"] = "Authorize"
    r = browser.post(r.url, data=fields, timeout=TIMEOUT)
    return browser, r


def signed_in_user(browser):
    # Clientmap's session cookie (the provider's have names of their own)
    key = next((c.value for c in browser.cookies if c.name == "sessionid"), None)
    user_id = SessionStore(key).get("_auth_user_id") if key else None
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


def callback(response) -> str:
    """The URL of Clientmap's callback the provider sent the browser to."""
    (url,) = [h.url for h in response.history if urlsplit(h.url).path == "/oidc/callback/"]
    return url


def test_a_person_of_a_customer_signs_in_through_the_provider_as_a_portal_user(live_server, sso):
    org = f.org(key="acme-e2e")
    person = f.person(org, key="pat", name="Pat", email="Pat@Acme.example")
    browser, r = sign_in(live_server, sso, "pat", next_url="/voice/")
    assert r.status_code == 200 and r.url == f"{live_server.url}/voice/"
    code = parse_qs(urlsplit(callback(r)).query)["code"][0]
    assert code  # the provider's authorization code went through Clientmap's callback
    user = signed_in_user(browser)
    person.refresh_from_db()
    assert user is not None and person.user_id == user.pk
    assert role_of(user) == "portal"
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert user.email == "pat@acme.example"
    event = AuditEvent.objects.get(action="user.sso")
    assert event.object_key == "pat" and event.after["issuer"] == sso.discovery["issuer"]
    # a portal user stays out of the internal pages
    teams = browser.get(f"{live_server.url}/teams/", timeout=TIMEOUT, allow_redirects=False)
    assert teams.status_code == 302 and teams.headers["Location"] == reverse("voice:portal")

    # the next sign-in (a new browser) finds the same login, and links nobody again
    again, r = sign_in(live_server, sso, "pat", next_url="/")
    assert r.status_code == 200 and signed_in_user(again).pk == user.pk
    assert AuditEvent.objects.filter(action="user.sso").count() == 1

    # a code is good once: another browser starting a sign-in of its own (its own state) and
    # bringing the used code back is refused by the provider, and Clientmap says so (not a 500)
    thief = requests.Session()
    start = thief.get(
        f"{live_server.url}/oidc/authenticate/", timeout=TIMEOUT, allow_redirects=False
    )
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    r = thief.get(
        f"{live_server.url}/oidc/callback/?{urlencode({'code': code, 'state': state})}",
        timeout=TIMEOUT,
    )
    assert r.status_code == 200 and r.url == f"{live_server.url}/login/"
    assert "did not succeed" in r.text
    assert signed_in_user(thief) is None


def test_a_person_in_a_team_signs_in_through_the_provider_as_a_team_member(live_server, sso):
    tina = f.person(key="tina", email="tina@provider.example")
    f.team(key="apps-e2e", members=[tina])
    browser, r = sign_in(live_server, sso, "tina", next_url="/teams/")
    assert r.status_code == 200 and r.url == f"{live_server.url}/teams/"
    user = signed_in_user(browser)
    assert role_of(user) == "team_member" and not user.is_staff and not user.is_superuser
    tina.refresh_from_db()
    assert tina.user_id == user.pk


def test_a_person_whose_address_a_staff_account_has_does_not_become_staff(live_server, sso):
    # the provider's user is staff and superuser there; Clientmap has a staff account made by
    # hand with the same address, and a person with it: the person's new login is not staff
    staff = f.user("boss-by-hand", staff=True, is_superuser=True, email="boss@acme.example")
    boss = f.person(f.org(key="boss-org"), key="boss", email="boss@acme.example")
    browser, r = sign_in(live_server, sso, "boss")
    assert r.status_code == 200
    user = signed_in_user(browser)
    boss.refresh_from_db()
    assert user.pk != staff.pk and boss.user_id == user.pk
    assert not user.is_staff and not user.is_superuser and role_of(user) == "portal"
    admin = browser.get(f"{live_server.url}/admin/", timeout=TIMEOUT, allow_redirects=False)
    assert admin.status_code == 302 and "/login/" in admin.headers["Location"]


def test_who_the_provider_does_not_vouch_for_or_nobody_knows_is_refused(live_server, sso):
    """Each case in a browser of its own: refused, with the reason on the login page."""
    for username in ("ursula", "sam", "nobody"):
        if username != "nobody":  # a person has the address: only its verification is missing
            f.person(key=username, email=PROVIDER_USERS[username][0])
    f.person(key="pat", email="pat@acme.example")
    users_before = get_user_model().objects.count()
    cases = [
        ("ursula", True, "did not give a verified e-mail address"),  # email_verified: false
        ("sam", True, "did not give a verified e-mail address"),  # no email_verified claim
        ("nobody", True, "No person in Clientmap has the e-mail address nobody@acme.example"),
        ("pat", False, "did not succeed"),  # pat refuses consent at the provider
    ]
    for username, consent, says in cases:
        browser, r = sign_in(live_server, sso, username, consent=consent)
        assert r.url == f"{live_server.url}/login/", (username, r.url)
        assert says in r.text, (username, says)
        assert signed_in_user(browser) is None, username
    assert get_user_model().objects.count() == users_before
    assert not Person.objects.exclude(user=None).exists()
    assert not AuditEvent.objects.filter(action="user.sso").exists()
