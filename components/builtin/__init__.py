"""The ``workflow.builtin`` (alias ``workflow.dapr``) component: Flowport's own durable engine."""

from components.builtin._component import BuiltinComponent, BuiltinMetadata

__all__ = ["BuiltinComponent", "BuiltinMetadata"]
