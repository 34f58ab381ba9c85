"""Dapr's local secret stores, which resolve ``secretKeyRef`` metadata at load time.

Supported types: ``secretstores.local.env`` (a secret is an environment variable) and
``secretstores.local.file`` (a JSON file, nested objects flattened with ``nestedSeparator``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from contracts import ComponentConfigError, ComponentSpec

SECRET_STORE_TYPES = ("secretstores.local.env", "secretstores.local.file")


class SecretStore(Protocol):
    def secret(self, name: str) -> Mapping[str, str] | None:
        """The key/value pairs of secret ``name``, or ``None`` if there is no such secret."""
        ...


class EnvSecretStore:
    """Every environment variable is a secret whose only key is its own name."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix

    def secret(self, name: str) -> Mapping[str, str] | None:
        value = os.environ.get(self._prefix + name)
        return None if value is None else {name: value}


class FileSecretStore:
    """Secrets from a JSON file, read once at load time."""

    def __init__(self, values: Mapping[str, object], *, multi_valued: bool) -> None:
        self._values = values
        self._multi_valued = multi_valued

    def secret(self, name: str) -> Mapping[str, str] | None:
        if name not in self._values:
            return None
        value = self._values[name]
        if self._multi_valued and isinstance(value, dict):
            return {str(k): _as_text(v) for k, v in value.items()}
        return {name: _as_text(value)}


def open_secret_store(spec: ComponentSpec) -> SecretStore:
    """Build the secret store a ``secretstores.*`` component describes."""
    meta = {key.lower(): value for key, value in spec.metadata.items()}
    if spec.type == "secretstores.local.env":
        return EnvSecretStore(prefix=meta.get("prefix", ""))
    path_text = meta.get("secretsfile")
    if not path_text:
        raise ComponentConfigError(
            "secretstores.local.file needs 'secretsFile'",
            field="spec.metadata.secretsFile",
            file=spec.source,
            component=spec.name,
        )
    # Dapr resolves the file against the working directory; fall back to the YAML's folder.
    path = Path(path_text)
    if not path.is_absolute() and not path.exists():
        path = spec.base_dir / path
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ComponentConfigError(
            f"cannot read secrets file {str(path)!r}: {exc}",
            field="spec.metadata.secretsFile",
            file=spec.source,
            component=spec.name,
        ) from None
    if not isinstance(raw, dict):
        raise ComponentConfigError(
            f"secrets file {str(path)!r} must hold a JSON object",
            field="spec.metadata.secretsFile",
            file=spec.source,
            component=spec.name,
        )
    multi_valued = meta.get("multivalued", "false").lower() == "true"
    values = raw if multi_valued else _flatten(raw, meta.get("nestedseparator", ":"))
    return FileSecretStore(values, multi_valued=multi_valued)


def _flatten(values: Mapping[str, object], separator: str, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in values.items():
        name = f"{prefix}{separator}{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, separator, name))
        else:
            flat[name] = value
    return flat


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)
