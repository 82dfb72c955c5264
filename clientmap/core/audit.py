"""The audit log: one call per change, from the services that make it (never from views only).

    audit.record(request.user, "wish.merge", duplicate, before={...}, after={...})

``action`` is ``<area>.<verb>``; the object is named by its key (or primary key) and model, so
the entry stays readable after the object is gone.
"""

from __future__ import annotations

from typing import Any

from clientmap.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def record(
    user,
    action: str,
    obj: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    object_type: str = "",
    object_key: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_key = object_key or str(getattr(obj, "key", None) or obj.pk)
    real = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        user=real,
        username=real.get_username() if real else "",
        action=action[:50],
        object_type=object_type[:50],
        object_key=str(object_key)[:200],
        before=_jsonable(before),
        after=_jsonable(after),
    )
