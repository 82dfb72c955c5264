"""Sign-in with the organization's identity provider: OpenID Connect (mozilla-django-oidc).

Off unless configured (``CLIENTMAP_OIDC_CLIENT_ID`` and the provider's endpoints, see
docs/security.md): then the login page offers *Sign in with …*, ``/oidc/authenticate/`` sends the
browser to the provider (authorization code flow with PKCE, state and nonce) and
``/oidc/callback/`` takes its answer. While it is off both answer 404.

The provider's user becomes a Clientmap user by the **verified** e-mail address
(``email_verified`` true in the claims):

- the one person with that e-mail: their login, created if they have none (a user with no
  password of its own, linked to the person). What they may see follows from the person's place
  — a team member if the person is in a team, a portal user otherwise — and such an account is
  **never** made staff: staff is granted by hand (and is in the audit log);
- no such person: an existing account with that e-mail (a staff account made by hand);
- nobody, or several people or accounts with that e-mail: refused, with a message.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from clientmap.core import audit
from clientmap.directory.models import Person

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or _("your organization's account")


class PersonBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, mapping the provider's user to a person (see above)."""

    def __init__(self, *args, **kwargs):
        # Listed in AUTHENTICATION_BACKENDS always; reads its settings only when configured.
        self.UserModel = get_user_model()
        if enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        if not enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:  # a bad signature, nonce, audience or issuer
            logger.warning("sign-in with the identity provider refused: %s", exc)
            return None
        except requests.RequestException as exc:
            # The provider refused the code (used already, expired, not this client's) or could
            # not be reached: the sign-in did not succeed, and the login page says so (not a 500).
            logger.warning("sign-in with the identity provider failed: %s", exc)
            return None

    def verify_token(self, token, **kwargs):
        """The library checks signature and nonce; the audience (us) and issuer are checked here."""
        payload = super().verify_token(token, **kwargs)
        aud = payload.get("aud")
        if self.OIDC_RP_CLIENT_ID not in (aud if isinstance(aud, list) else [aud]):
            raise SuspiciousOperation("The ID token was not issued to this client.")
        issuer = getattr(settings, "OIDC_OP_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload

    def _refuse(self, message: str) -> None:
        if getattr(self, "request", None) is not None:
            messages.error(self.request, message)
            self.request.cm_sso_refused = True

    def verify_claims(self, claims) -> bool:
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is not True:
            self._refuse(
                _(
                    "Your identity provider did not give a verified e-mail address: Clientmap "
                    "needs one to know who you are."
                )
            )
            return False
        return True

    def _people(self, claims):
        return Person.objects.filter(email__iexact=claims["email"].strip()).select_related("user")

    def filter_users_by_claims(self, claims):
        people = list(self._people(claims)[:2])
        if len(people) == 1 and people[0].user_id:
            return self.UserModel.objects.filter(pk=people[0].user_id)
        if people:
            return self.UserModel.objects.none()  # one person without a login (created), or two
        return self.UserModel.objects.filter(email__iexact=claims["email"].strip())

    @transaction.atomic
    def create_user(self, claims):
        email = claims["email"].strip()
        people = list(Person.objects.select_for_update().filter(email__iexact=email)[:2])
        if len(people) != 1:
            if people:
                message = _(
                    "Several people in Clientmap have the e-mail address %(email)s: ask an "
                    "administrator to fix the directory."
                )
            else:
                message = _(
                    "No person in Clientmap has the e-mail address %(email)s: ask an "
                    "administrator to add you."
                )
            self._refuse(message % {"email": email})
            return None
        (person,) = people
        if person.user_id:  # linked meanwhile
            return person.user
        User = self.UserModel
        base = (claims.get("preferred_username") or claims["email"]).strip()[:140] or "user"
        username, n = base, 1
        while User.objects.filter(username__iexact=username).exists():
            n += 1
            username = f"{base}-{n}"
        user = User(username=username, email=email, is_staff=False)
        user.set_unusable_password()  # signs in through the provider only
        user.save()
        person.user = user
        person.save(update_fields=["user"])
        audit.record(
            user,
            "user.sso",
            person,
            before={"user": None},
            after={"user": username, "issuer": getattr(settings, "OIDC_OP_ISSUER", "")},
        )
        return user


def _only_when_enabled(view):
    def wrapped(request, *args, **kwargs):
        if not enabled():
            raise Http404("Sign-in with an identity provider is not configured.")
        return view(request, *args, **kwargs)

    return login_not_required(wrapped)


@method_decorator(_only_when_enabled, name="dispatch")
class Start(OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/: to the provider's sign-in page (``?next=`` comes back after)."""


@method_decorator(_only_when_enabled, name="dispatch")
class Callback(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: the provider's answer; signed in, or back at the login page."""

    def login_failure(self):
        if not getattr(self.request, "cm_sso_refused", False):
            messages.error(
                self.request,
                _("Sign-in with %(provider)s did not succeed: try again, or sign in below.")
                % {"provider": provider_name()},
            )
        return super().login_failure()
