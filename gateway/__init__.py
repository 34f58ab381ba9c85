"""The Flowport gateway: the REST API in front of the configured workflow components."""

from gateway.app import create_app
from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError

__all__ = ["ComponentRegistry", "ResourcesError", "create_app"]
