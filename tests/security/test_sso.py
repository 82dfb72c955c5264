"""Sign-in with the organization's identity provider (OpenID Connect, mozilla-django-oidc).

The provider is a small fake one started in this process, on loopback (no network): it serves
the authorization, token, userinfo and JWKS endpoints, signs its ID tokens with its own RSA key
(RS256), checks the client's secret, the redirect URI and the PKCE verifier, and echoes the
nonce — so the whole code flow runs as with a real provider, over real HTTP. Being ours, it can
also misbehave on request (a token issued to another client, a refused code).

The round trip against a real provider (django-oauth-toolkit in OIDC mode, in a subprocess) is
tests/security/test_sso_provider.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from clientmap.core.models import AuditEvent
from clientmap.core.roles import role_of
from tests import factories as f

pytestmark = pytest.mark.django_db

CLIENT_ID, CLIENT_SECRET = "clientmap-test", "s3cret"


class FakeProvider:
    """An OpenID provider of one client; ``who`` is the person signed in at the provider."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "k1"
        self.who: dict = {}
        self.audience = CLIENT_ID
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    return provider.authorize(self, q)
                if url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    return self._json(200, {"keys": [{**jwk, "kid": provider.kid, "alg": "RS256"}]})
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.tokens.get(token)
                    return self._json(200, claims) if claims else self._json(401, {})
                return self._json(404, {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    status, body = provider.token(form)
                    return self._json(status, body)
                return self._json(404, {})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def authorize(self, handler, q: dict) -> None:
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert "openid" in q["scope"].split() and q["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**q, "who": dict(self.who)}
        handler.send_response(302)
        handler.send_header(
            "Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        )
        handler.end_headers()

    def token(self, form: dict) -> tuple[int, dict]:
        grant = self.codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {"sub": grant["who"].get("email", "nobody"), **grant["who"]}
        id_token = jwt.encode(
            {
                **claims,
                "iss": self.base,
                "aud": self.audience,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        access = secrets.token_urlsafe(16)
        self.tokens[access] = claims
        return 200, {"access_token": access, "id_token": id_token, "token_type": "Bearer"}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def provider():
    p = FakeProvider()
    yield p
    p.close()


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = provider.base
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.base}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.base}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.base}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.base}/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    provider.audience = CLIENT_ID
    # Signing in cycles the session the flow started (state, nonce): Django's database sessions
    # read it, then read the old row again to delete it — two gets zeal would call an N+1.
    settings.ZEAL_ALLOWLIST = [{"model": "sessions.Session"}]
    return provider


def sign_in(client, provider, who: dict, next_url: str = ""):
    """The browser's round trip: Clientmap → the provider (signed in as ``who``) → Clientmap."""
    provider.who = who
    start = reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else "")
    r = client.get(start)
    assert r.status_code == 302 and r["Location"].startswith(provider.base + "/authorize?")
    back = requests.get(r["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    url = urlsplit(back.headers["Location"])
    assert url.path == reverse("oidc_authentication_callback")
    return client.get(f"{url.path}?{url.query}")


def signed_in_user(client):
    from django.contrib.auth import get_user

    class R:
        session = client.session

    return get_user(R())


def test_off_unless_configured(client):
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert (
        client.get(reverse("oidc_authentication_callback") + "?code=x&state=y").status_code == 404
    )
    assert b"Sign in with" not in client.get(reverse("login")).content


def test_a_portal_person_signs_in_and_gets_a_portal_login_never_staff(client, sso, home):
    org = f.org(key="acme-sso")
    person = f.person(org, key="pat", name="Pat", email="Pat@Acme.example")
    # a staff account with the same address, not linked to the person, is not who they become
    f.user("boss-sso", staff=True, email="pat@acme.example")
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Acme ID" in page
    r = sign_in(
        client, sso, {"email": "pat@acme.example", "email_verified": True}, next_url="/voice/"
    )
    assert r.status_code == 302 and r["Location"] == "/voice/"
    user = signed_in_user(client)
    person.refresh_from_db()
    assert user.is_authenticated and person.user_id == user.pk
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert role_of(user) == "portal"
    event = AuditEvent.objects.get(action="user.sso")
    assert event.object_key == "pat" and event.after["user"] == user.username
    # the next sign-in finds the same login
    client.logout()
    sign_in(client, sso, {"email": "PAT@acme.example", "email_verified": True})
    assert signed_in_user(client).pk == user.pk
    assert AuditEvent.objects.filter(action="user.sso").count() == 1


def test_a_person_in_a_team_signs_in_as_a_team_member(client, sso, home):
    member = f.person(key="tm-sso", email="tm@provider.example")
    f.team(key="apps-sso", members=[member])
    r = sign_in(client, sso, {"email": "tm@provider.example", "email_verified": True})
    assert r.status_code == 302
    user = signed_in_user(client)
    assert role_of(user) == "team_member" and not user.is_staff
    assert client.get(reverse("customers:teams")).status_code == 200


def test_a_staff_account_made_by_hand_signs_in_as_itself(client, sso, home):
    staff = f.user("ops-sso", staff=True, email="ops@acme.example")
    sign_in(client, sso, {"email": "ops@acme.example", "email_verified": True})
    assert signed_in_user(client).pk == staff.pk


@pytest.mark.parametrize(
    "who, says",
    [
        ({"email": "pat@acme.example", "email_verified": False}, "verified e-mail"),
        ({"email": "pat@acme.example"}, "verified e-mail"),
        ({"email": "nobody@acme.example", "email_verified": True}, "No person in Clientmap"),
        ({"email": "twice@acme.example", "email_verified": True}, "Several people"),
    ],
)
def test_who_cannot_be_matched_to_one_person_is_refused_with_the_reason(
    client, sso, home, who, says
):
    f.person(key="pat", email="pat@acme.example")
    f.person(key="twice-1", email="twice@acme.example")
    f.person(key="twice-2", email="TWICE@acme.example")
    r = sign_in(client, sso, who)
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert not signed_in_user(client).is_authenticated
    assert says in client.get(r["Location"]).content.decode()


def test_a_token_issued_to_another_client_is_refused(client, sso, home):
    f.person(key="pat", email="pat@acme.example")
    sso.audience = "another-app"
    r = sign_in(client, sso, {"email": "pat@acme.example", "email_verified": True})
    assert r["Location"] == "/login/" and not signed_in_user(client).is_authenticated
    assert "did not succeed" in client.get("/login/").content.decode()


def test_a_provider_that_refuses_the_code_or_cannot_be_reached_gets_a_message_not_a_500(
    client, sso, home, settings
):
    import socket

    f.person(key="pat", email="pat@acme.example")
    who = {"email": "pat@acme.example", "email_verified": True}
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"  # the token endpoint answers 400
    r = sign_in(client, sso, who)
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert "did not succeed" in client.get("/login/").content.decode()
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    with socket.socket() as s:  # a port of loopback where nobody listens
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{closed}/token"
    r = sign_in(client, sso, who)
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert not signed_in_user(client).is_authenticated
