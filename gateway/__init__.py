"""The Flowport gateway: the REST API in front of the configured workflow components.

The names below are imported on first use, so that a command that needs none of them
(``flowport workflow ...``, a client of a running gateway) starts without loading the app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.app import create_app
    from gateway.registry import ComponentRegistry
    from gateway.resources import ResourcesError

__all__ = ["ComponentRegistry", "ResourcesError", "create_app"]

_HOMES = {
    "create_app": "gateway.app",
    "ComponentRegistry": "gateway.registry",
    "ResourcesError": "gateway.resources",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'gateway' has no attribute {name!r}")
