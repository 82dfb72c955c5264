"""What every API operation shares: bounded pagination and documented error responses.

- Lists take ``limit`` (1 … ``MAX_LIMIT`` = 500, default 100) and ``offset`` (0 … 10⁹); a larger
  value is refused with 422 naming the field and the bound; an offset past the end gives an
  empty page with the true ``count``.
- Every operation documents the errors it may answer (400, 401, 403, 404, 413, 422) with the
  same body, ``{"detail": …}``: a message, or for 422 the list of fields that are wrong.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500
MAX_OFFSET = 10**9


class Page(LimitOffsetPagination):
    """``limit``/``offset`` pagination with documented bounds."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


ERRORS = {
    "400": "The request is understood but refused: the message says what and where.",
    "401": "No valid API token or session (anonymous, expired or revoked token, wrong role).",
    "403": "Authenticated, but this role or token scope may not do this.",
    "404": "No such object (or not one this user may see).",
    "409": "In conflict with the current state (e.g. a setting fixed by the deployment).",
    "413": "The upload is too large.",
    "422": "A parameter or body field is missing or has the wrong type or bounds.",
}

_ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "title": "Detail",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        }
    },
}


def document_errors(schema: dict) -> dict:
    """Add the shared error responses to every operation of an OpenAPI schema (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for code, text in ERRORS.items():
                op["responses"].setdefault(
                    code, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
    return schema
