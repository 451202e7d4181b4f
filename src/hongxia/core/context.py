"""The acting user and address of the current request, for the audit trail.

Set by RequestContextMiddleware; commands set it with `acting_as(...)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any
    ip: str | None = None
    via: str = "web"


_current: ContextVar[Actor | None] = ContextVar("hongxia_actor", default=None)


def current() -> Actor | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(user: Any, ip: str | None = None, via: str = "cli") -> Iterator[Actor]:
    token = _current.set(Actor(user=user, ip=ip, via=via))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def set_current(actor: Actor | None) -> Any:
    return _current.set(actor)


def reset(token: Any) -> None:
    _current.reset(token)
