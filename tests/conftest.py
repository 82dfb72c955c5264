from __future__ import annotations

import os

import pytest

from tests import factories as f

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM use.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings):
    """Background jobs run deterministically in tests: at once, in the process that queues them.
    Tests of the worker itself use the ``job_queue`` fixture."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def job_queue(settings):
    """Jobs go to the database queue, for ``clientmap worker`` (or ``jobs.run``) to take."""
    settings.TASKS = DATABASE_QUEUE
    return DATABASE_QUEUE


@pytest.fixture
def home(db):
    return f.home_org()


@pytest.fixture
def staff_user(db):
    return f.user("staff", staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing a password the real way takes a second; tests log in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
