"""The audit log: one call per change, from the services that make it (never from views only).

    audit.record(request.user, "wish.merge", duplicate, before={...}, after={...})

``action`` is ``<area>.<verb>``; the object is named by its key (or primary key) and model, so
the entry stays readable after the object is gone.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from clientmap.core.models import AuditEvent

# The signed-in user of the request being served (set by ``AuditUserMiddleware``), for changes
# recorded by signals (the admin, role flags) where no caller passes a user.
current_user: ContextVar[Any] = ContextVar("clientmap_audit_user", default=None)


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
    actor: str = "",
) -> AuditEvent:
    """``actor`` names who acted when no user account did (``cli:<login>`` for a command)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_key = object_key or str(getattr(obj, "key", None) or obj.pk)
    if user is None:
        user = current_user.get()
    real = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        user=real,
        username=real.get_username() if real else actor[:150],
        action=action[:50],
        object_type=object_type[:50],
        object_key=str(object_key)[:200],
        before=_jsonable(before),
        after=_jsonable(after),
    )


def command_actor() -> str:
    """Who runs a management command: ``cli:`` and the operating-system login."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name for this uid (a container)
        import os

        return f"cli:uid {os.getuid()}"


# --- role changes: staff / superuser / active flags of a user account --------------------

ROLE_FLAGS = ("is_staff", "is_superuser", "is_active")


def _user_pre_save(sender, instance, **kwargs) -> None:
    if instance.pk is None:
        instance._audit_before = None
        return
    old = sender.objects.filter(pk=instance.pk).values(*ROLE_FLAGS).first()
    instance._audit_before = old


def _user_post_save(sender, instance, created: bool, **kwargs) -> None:
    after = {f: getattr(instance, f) for f in ROLE_FLAGS}
    before = getattr(instance, "_audit_before", None)
    if created:
        if instance.is_staff or instance.is_superuser:
            record(None, "role.user", instance, after=after, object_key=instance.get_username())
        return
    if before is not None and before != after:
        changed = [f for f in ROLE_FLAGS if before[f] != after[f]]
        record(
            None,
            "role.user",
            instance,
            object_key=instance.get_username(),
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save, pre_save

    User = get_user_model()
    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="clientmap.audit.user.pre")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="clientmap.audit.user.post")
