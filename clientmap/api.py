"""The JSON API (django-ninja). Each app contributes a router; OpenAPI at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from clientmap.core.api_auth import INTERNAL
from clientmap.core.api_support import MAX_LIMIT, document_errors


class ClientmapAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        # every operation documents the error responses it may give (one shared body)
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = ClientmapAPI(
    title="Clientmap API",
    version="1",
    description="Who are an IT organization's customers, and why. "
    "Authenticate with a personal API token (`Authorization: Bearer cm_…`; create one on the "
    "*API tokens* page or with `clientmap token create USER`) or with the browser session "
    "(CSRF token required for writes). Read-only tokens may only GET. "
    "Staff and team members reach everything; customer portal users only the portal endpoints. "
    f"Lists take `limit` (at most {MAX_LIMIT}) and `offset`; keys in paths write `%` as `%25` "
    "and `/` as `%2F` before the usual percent-encoding (docs/api.md).",
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
