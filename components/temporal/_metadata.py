"""The component's metadata, validated with pydantic, and what it turns into for the client.

Secrets (``apiKey``, a client key) arrive already resolved from ``secretKeyRef``; TLS material
may be given inline as PEM text or as a path to a PEM file, relative to the component YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pydantic
from temporalio.service import TLSConfig

from contracts import ComponentConfigError, ComponentSpec, parse_duration, parse_metadata


class TemporalMetadata(pydantic.BaseModel):
    """The metadata a ``workflow.temporal`` component accepts (names are case-insensitive)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    hostport: str = "localhost:7233"
    namespace: str = "default"
    identity: str | None = None
    task_queue: str | None = pydantic.Field(default=None, alias="taskQueue")
    tls: bool | None = None
    tls_ca_cert: str | None = pydantic.Field(default=None, alias="tlsCaCert")
    tls_client_cert: str | None = pydantic.Field(default=None, alias="tlsClientCert")
    tls_client_key: str | None = pydantic.Field(default=None, alias="tlsClientKey")
    tls_server_name: str | None = pydantic.Field(default=None, alias="tlsServerName")
    api_key: str | None = pydantic.Field(default=None, alias="apiKey")
    connect_timeout: timedelta = pydantic.Field(default=timedelta(seconds=5), alias="connectTimeout")
    rpc_timeout: timedelta = pydantic.Field(default=timedelta(seconds=10), alias="rpcTimeout")

    @pydantic.field_validator("connect_timeout", "rpc_timeout", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            duration = parse_duration(value)
            if duration <= timedelta(0):
                raise ValueError("must be longer than zero")
            return duration
        return value

    @pydantic.field_validator("hostport")
    @classmethod
    def _hostport(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"{value!r} is not host:port")
        return value

    @pydantic.field_validator("task_queue", "identity", "api_key", "tls_server_name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def uses_tls_material(self) -> bool:
        return any(
            value is not None
            for value in (self.tls_ca_cert, self.tls_client_cert, self.tls_client_key, self.tls_server_name)
        )


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Everything ``Client.connect`` needs, with TLS material already read from disk."""

    target_host: str
    namespace: str
    identity: str | None
    api_key: str | None
    tls: bool | TLSConfig | None
    connect_timeout: timedelta
    rpc_timeout: timedelta
    default_task_queue: str | None


def connection_settings(spec: ComponentSpec) -> ConnectionSettings:
    """Validate the spec's metadata and read any TLS files, raising ``ComponentConfigError``."""
    meta = parse_metadata(TemporalMetadata, spec)
    if (meta.tls_client_cert is None) != (meta.tls_client_key is None):
        missing = "tlsClientKey" if meta.tls_client_key is None else "tlsClientCert"
        raise _config_error(spec, missing, "tlsClientCert and tlsClientKey must be given together")
    if meta.tls is False and meta.uses_tls_material:
        raise _config_error(spec, "tls", "tls is false but TLS certificates or a server name are set")
    tls: bool | TLSConfig | None = meta.tls
    if meta.uses_tls_material:
        tls = TLSConfig(
            server_root_ca_cert=_pem(spec, "tlsCaCert", meta.tls_ca_cert),
            client_cert=_pem(spec, "tlsClientCert", meta.tls_client_cert),
            client_private_key=_pem(spec, "tlsClientKey", meta.tls_client_key),
            domain=meta.tls_server_name,
        )
    return ConnectionSettings(
        target_host=meta.hostport,
        namespace=meta.namespace,
        identity=meta.identity,
        api_key=meta.api_key,
        tls=tls,
        connect_timeout=meta.connect_timeout,
        rpc_timeout=meta.rpc_timeout,
        default_task_queue=meta.task_queue,
    )


def _pem(spec: ComponentSpec, name: str, value: str | None) -> bytes | None:
    """PEM bytes from inline text (what a secret store hands over) or from a file path."""
    if value is None:
        return None
    if "-----BEGIN" in value:
        return value.encode()
    path = Path(value)
    if not path.is_absolute():
        path = spec.base_dir / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read {path}: {exc.strerror}; give PEM text or a readable file path"
        raise _config_error(spec, name, reason) from None
    if b"-----BEGIN" not in data:
        raise _config_error(spec, name, f"{path} is not a PEM file")
    return data


def _config_error(spec: ComponentSpec, name: str, reason: str) -> ComponentConfigError:
    return ComponentConfigError(reason, field=f"spec.metadata.{name}", file=spec.source, component=spec.name)
