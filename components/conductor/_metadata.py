"""The component's metadata, validated with pydantic at the edge.

``serverUrl`` is Conductor's REST API root including ``/api`` (the value conductor-python
reads from ``CONDUCTOR_SERVER_URL``). ``authKey``/``authSecret`` are an Orkes application's
key ID and secret; leave both out for an OSS server. ``definitions`` names a JSON file or a
directory of them, relative to the component YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pydantic

from contracts import ComponentConfigError, ComponentSpec, parse_duration, parse_metadata


def parse_seconds(text: str) -> float:
    """A Go-style duration (``500ms``, ``10s``, ``1m30s``) or a bare number of seconds, above zero."""
    seconds = parse_duration(text).total_seconds()
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds


class ConductorMetadata(pydantic.BaseModel):
    """The metadata a ``workflow.conductor`` component accepts (names are case-insensitive)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    server_url: str = pydantic.Field(alias="serverUrl")
    auth_key: str | None = pydantic.Field(default=None, alias="authKey")
    auth_secret: str | None = pydantic.Field(default=None, alias="authSecret")
    request_timeout: float = pydantic.Field(default=10.0, alias="requestTimeout")
    definitions: str | None = None

    @pydantic.field_validator("request_timeout", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_seconds(value) if isinstance(value, str) else value

    @pydantic.field_validator("server_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL such as http://localhost:8080/api")
        return value.strip().rstrip("/")

    @pydantic.field_validator("auth_key", "auth_secret", "definitions")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


@dataclass(frozen=True, slots=True)
class ConductorSettings:
    """What the component runs with, paths resolved."""

    api_url: str
    request_timeout: float
    auth: tuple[str, str] | None
    definitions: Path | None

    @property
    def health_path(self) -> str:
        """Conductor serves ``/health`` beside ``/api``, not under it."""
        path = urlsplit(self.api_url).path.rstrip("/")
        root = path[: -len("/api")] if path.endswith("/api") else path
        return f"{root}/health"


def read_settings(spec: ComponentSpec) -> ConductorSettings:
    """Validate ``spec.metadata``; raises ``ComponentConfigError`` naming the bad field."""
    metadata = parse_metadata(ConductorMetadata, spec)
    definitions: Path | None = None
    if metadata.definitions is not None:
        definitions = (spec.base_dir / metadata.definitions).resolve()
        if not definitions.exists():
            raise ComponentConfigError(
                f"definitions path {str(definitions)!r} does not exist",
                field="spec.metadata.definitions",
                file=spec.source,
                component=spec.name,
            )
    auth = None
    if metadata.auth_key is not None and metadata.auth_secret is not None:
        auth = (metadata.auth_key, metadata.auth_secret)
    elif metadata.auth_key is not None or metadata.auth_secret is not None:
        missing = "authSecret" if metadata.auth_secret is None else "authKey"
        raise ComponentConfigError(
            "authKey and authSecret go together: give both (Orkes) or neither (OSS)",
            field=f"spec.metadata.{missing}",
            file=spec.source,
            component=spec.name,
        )
    return ConductorSettings(
        api_url=metadata.server_url,
        request_timeout=metadata.request_timeout,
        auth=auth,
        definitions=definitions,
    )
