"""The JSON API (django-ninja). Each app contributes a router; OpenAPI at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from clientmap.core.api_auth import INTERNAL

api = NinjaAPI(
    title="Clientmap API",
    version="1",
    description="Who are an IT organization's customers, and why. "
    "Authenticate with a session (browser, CSRF token required for writes) or HTTP Basic. "
    "Staff and team members reach everything; customer portal users only the portal endpoints.",
    auth=INTERNAL,
    urls_namespace="api",
)

from clientmap.customers.api import router as customers_router  # noqa: E402
from clientmap.directory.api import router as directory_router  # noqa: E402

api.add_router("/directory", directory_router)
api.add_router("/customers", customers_router)

for _module in (
    "clientmap.imports.api",
    "clientmap.valuechain.api",
    "clientmap.voice.api",
    "clientmap.experience.api",
    "clientmap.fit.api",
):
    # Later areas plug in here by defining ``router`` in their api module.
    import importlib

    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError:
        continue
    _prefix = "/" + _module.split(".")[1]
    api.add_router(_prefix, _mod.router)
