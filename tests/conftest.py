from __future__ import annotations

import os

import pytest

from tests import factories as f

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM use.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _patch_zeal() -> bool:
    """django-zeal watches the ORM for N+1 queries; its app only patches the ORM, so tests patch
    it here instead of listing it in the production settings."""
    try:
        from zeal.constants import initialize_app_registry
        from zeal.patch import patch
    except ImportError:  # pragma: no cover - a dev install has it (scripts/install.sh --dev)
        return False
    initialize_app_registry()
    patch()
    return True


ZEAL = _patch_zeal()


@pytest.fixture(autouse=True)
def _no_n_plus_one_in_requests(settings):
    """Every request a test makes (test client or live server) fails on an N+1 query: a page
    that reads a relation once per row raises ``zeal.errors.NPlusOneError`` naming the line."""
    if ZEAL:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "zeal.middleware.zeal_middleware"]
        settings.ZEAL_RAISE = True
        # One state row per derived table (core.derived), read one by one when a rebuild of one
        # table brings the next one current (fit placements -> the wishes' stored demand):
        # bounded by the number of derived tables, not by the data, so not an N+1.
        settings.ZEAL_ALLOWLIST = [{"model": "core.DerivedState"}]


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


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


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Cached figures must not leak between tests (ids repeat after a rollback). The cache is
    per process in tests (production: the database on PostgreSQL, or Redis)."""
    settings.CACHES = LOCMEM
    from django.core.cache import cache

    cache.clear()
    yield


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


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page requested in Spanish must not leave
    Spanish active in this thread for the next test (the suite runs in random order)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
