"""A real OpenID provider for the SSO round trip: django-oauth-toolkit in OIDC mode.

A separate Django project (its own settings, URLs, SQLite file and RSA key), started by
``tests/security/test_sso_provider.py`` in a subprocess on a free port of 127.0.0.1 with
``python -m tests.oidc_provider.serve CONFIG.json`` (see serve.py). Test code only: Clientmap never
imports it, and django-oauth-toolkit is a dev dependency.
"""
