"""The claims the test provider gives: django-oauth-toolkit takes them from its validator."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

# A provider user in the first group has a verified address, in the second an unverified one;
# in neither, the provider says nothing of it (no ``email_verified`` claim).
VERIFIED, UNVERIFIED = "email-verified", "email-unverified"


class ClaimsValidator(OAuth2Validator):
    def get_additional_claims(self, request):
        user = request.user
        groups = set(user.groups.values_list("name", flat=True))
        claims = {
            "email": user.email,
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
        }
        if VERIFIED in groups:
            claims["email_verified"] = True
        elif UNVERIFIED in groups:
            claims["email_verified"] = False
        return claims
