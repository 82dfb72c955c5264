"""Sign-in throttling: django-axes' check in front of the model backend.

A sign-in through a request (the login form, the password asked before making an API token) is
counted and refused once the user name and address are locked out. Code that authenticates
without a request (Django's test client ``login``) is not throttled: there is no address to
count, and the API does not take passwords at all (only tokens)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class Throttled(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
