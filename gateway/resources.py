"""Loading Dapr component YAML from resources directories.

Dapr's rules: every ``.yaml``/``.yml`` file in each directory (not recursive), several
documents per file, documents of another ``kind`` ignored, duplicate component names an
error. Metadata values come from ``value``, ``envRef`` or ``secretKeyRef`` (resolved through
the secret store named by ``auth.secretStore``). Every mistake becomes a
``ComponentConfigError`` naming the file, the component and the field; all of them are
collected so that a user fixes a directory in one pass.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from contracts import ComponentConfigError, ComponentSpec, parse_duration
from gateway.secrets import SECRET_STORE_TYPES, SecretStore, open_secret_store

log = logging.getLogger(__name__)

DEFAULT_INIT_TIMEOUT = 5.0
#: metadata the gateway reads for every component (never passed to the component)
UI_URL = "uiUrl"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


class ResourcesError(Exception):
    """One or more component definitions are unusable; ``errors`` lists every one."""

    def __init__(self, errors: Sequence[ComponentConfigError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = list(errors)


class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)


class _SecretKeyRef(_Model):
    name: str
    key: str = ""


class _MetadataItem(_Model):
    name: str
    value: str | bool | int | float | None = None
    secret_key_ref: _SecretKeyRef | None = pydantic.Field(default=None, alias="secretKeyRef")
    env_ref: str | None = pydantic.Field(default=None, alias="envRef")


class _Spec(_Model):
    type: str
    version: str = ""
    init_timeout: str | None = pydantic.Field(default=None, alias="initTimeout")
    ignore_errors: bool = pydantic.Field(default=False, alias="ignoreErrors")
    metadata: list[_MetadataItem] = []


class _ObjectMeta(pydantic.BaseModel):
    # Kubernetes object metadata carries many fields Dapr ignores (labels, annotations...).
    name: str
    namespace: str | None = None


class _Auth(_Model):
    secret_store: str = pydantic.Field(alias="secretStore")


class _ComponentDoc(pydantic.BaseModel):
    api_version: str = pydantic.Field(alias="apiVersion")
    kind: str
    metadata: _ObjectMeta
    spec: _Spec
    auth: _Auth | None = None
    scopes: list[str] = []


@dataclass(frozen=True, slots=True)
class ComponentDefinition:
    """A workflow component ready to be built: its spec plus the gateway-side settings."""

    spec: ComponentSpec
    init_timeout: float = DEFAULT_INIT_TIMEOUT
    ignore_errors: bool = False
    scopes: tuple[str, ...] = ()
    #: the runtime's own web UI (metadata ``uiUrl``), linked from the console
    ui_url: str | None = None


@dataclass(slots=True)
class Resources:
    """What a set of resources directories holds."""

    components: list[ComponentDefinition] = field(default_factory=list)
    #: components of other building blocks (state stores...) that Flowport does not serve
    ignored: list[ComponentSpec] = field(default_factory=list)
    #: every mistake found; the components above are the ones without one
    errors: list[ComponentConfigError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Document:
    doc: _ComponentDoc
    file: Path


def load_resources(paths: Iterable[Path]) -> Resources:
    """Read every component in ``paths``, collecting every mistake in ``Resources.errors``."""
    resources = Resources()
    errors = resources.errors
    documents: list[_Document] = []
    for directory in paths:
        if not directory.is_dir():
            errors.append(ComponentConfigError("resources path is not a directory", file=str(directory)))
            continue
        for file in sorted(directory.iterdir()):
            if file.suffix in (".yaml", ".yml") and file.is_file():
                documents.extend(_read_file(file, errors))

    seen: dict[str, Path] = {}
    unique: list[_Document] = []
    for item in documents:
        name = item.doc.metadata.name
        if name in seen:
            errors.append(
                ComponentConfigError(
                    f"duplicate component name (also defined in {seen[name]})",
                    field="metadata.name",
                    file=str(item.file),
                    component=name,
                )
            )
            continue
        seen[name] = item.file
        unique.append(item)

    stores: dict[str, SecretStore] = {}
    for item in unique:
        if item.doc.spec.type in SECRET_STORE_TYPES:
            try:
                stores[item.doc.metadata.name] = open_secret_store(_spec(item, _resolve_metadata(item, {})))
            except ComponentConfigError as exc:
                errors.append(exc)

    for item in unique:
        kind = item.doc.spec.type
        if kind in SECRET_STORE_TYPES:
            continue
        try:
            metadata = _resolve_metadata(item, stores)
            ui_url = _gateway_setting(metadata, UI_URL)
            if ui_url is not None and not ui_url.startswith(("http://", "https://")):
                raise ComponentConfigError(
                    f"{ui_url!r} is not an http:// or https:// URL",
                    field=f"spec.metadata.{UI_URL}",
                    file=str(item.file),
                    component=item.doc.metadata.name,
                )
            spec = _spec(item, metadata)
            if not kind.startswith("workflow."):
                log.info("ignoring %s: %s is not a workflow component", item.file, kind)
                resources.ignored.append(spec)
                continue
            resources.components.append(
                ComponentDefinition(
                    spec=spec,
                    init_timeout=_duration(item, item.doc.spec.init_timeout),
                    ignore_errors=item.doc.spec.ignore_errors,
                    scopes=tuple(item.doc.scopes),
                    ui_url=ui_url,
                )
            )
        except ComponentConfigError as exc:
            errors.append(exc)
    return resources


def _read_file(file: Path, errors: list[ComponentConfigError]) -> list[_Document]:
    try:
        raw_documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ComponentConfigError(f"invalid YAML{where}: {problem}", file=str(file)))
        return []
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ComponentConfigError(f"cannot read file: {exc}", file=str(file)))
        return []

    documents: list[_Document] = []
    for index, raw in enumerate(raw_documents):
        if raw is None:
            continue
        if not isinstance(raw, dict):
            errors.append(ComponentConfigError(f"document {index + 1} is not a mapping", file=str(file)))
            continue
        if raw.get("kind") != "Component":
            continue  # Configuration, Resiliency, Subscription...: not ours to read
        try:
            documents.append(_Document(_ComponentDoc.model_validate(raw), file))
        except pydantic.ValidationError as exc:
            errors.append(_validation_error(exc, raw, file))
    return documents


def _validation_error(
    exc: pydantic.ValidationError, raw: Mapping[str, Any], file: Path
) -> ComponentConfigError:
    first = exc.errors()[0]
    location = list(first["loc"])
    # Point at "spec.metadata[2].value" rather than "spec.metadata.2.value".
    field_path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    meta = raw.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    message = "is required" if first["type"] == "missing" else first["msg"]
    if first["type"] == "extra_forbidden":
        message = "is not a known field"
    return ComponentConfigError(
        message,
        field=field_path.lstrip(".") or None,
        file=str(file),
        component=name if isinstance(name, str) else None,
    )


def _resolve_metadata(item: _Document, stores: Mapping[str, SecretStore]) -> dict[str, str]:
    name = item.doc.metadata.name
    if not _NAME.match(name):
        raise ComponentConfigError(
            "component names may hold letters, digits, '.', '_' and '-' only",
            field="metadata.name",
            file=str(item.file),
            component=name,
        )
    resolved: dict[str, str] = {}
    for entry in item.doc.spec.metadata:
        where = f"spec.metadata.{entry.name}"

        def fail(reason: str, where: str = where) -> ComponentConfigError:
            return ComponentConfigError(reason, field=where, file=str(item.file), component=name)

        sources = [entry.value is not None, entry.env_ref is not None, entry.secret_key_ref is not None]
        if sum(sources) > 1:
            raise fail("give only one of value, envRef and secretKeyRef")
        if entry.secret_key_ref is not None:
            store_name = item.doc.auth.secret_store if item.doc.auth else None
            if store_name is None:
                raise fail("secretKeyRef needs auth.secretStore to name a secret store")
            store = stores.get(store_name)
            if store is None:
                raise fail(f"secret store {store_name!r} is not defined in the resources paths")
            ref = entry.secret_key_ref
            secret = store.secret(ref.name)
            key = ref.key or ref.name
            if secret is None or key not in secret:
                raise fail(f"secret {ref.name!r} (key {key!r}) not found in secret store {store_name!r}")
            resolved[entry.name] = secret[key]
        elif entry.env_ref is not None:
            env_value = os.environ.get(entry.env_ref)
            if env_value is None:
                raise fail(f"environment variable {entry.env_ref!r} is not set")
            resolved[entry.name] = env_value
        else:
            resolved[entry.name] = _as_text(entry.value)
    return resolved


def _gateway_setting(metadata: dict[str, str], name: str) -> str | None:
    """Take out a metadata item that the gateway reads for itself (matched case-insensitively),
    so that components, which reject names they do not know, never see it."""
    for key in list(metadata):
        if key.lower() == name.lower():
            return metadata.pop(key) or None
    return None


def _spec(item: _Document, metadata: Mapping[str, str]) -> ComponentSpec:
    return ComponentSpec(
        name=item.doc.metadata.name,
        type=item.doc.spec.type,
        version=item.doc.spec.version or "v1",
        metadata=dict(metadata),
        source=str(item.file),
        base_dir=item.file.parent.resolve(),
    )


def _as_text(value: str | bool | int | float | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _duration(item: _Document, text: str | None) -> float:
    """Parse a Go duration (``5s``, ``1m30s``, ``500ms``) as Dapr's ``initTimeout`` is written."""
    if text is None:
        return DEFAULT_INIT_TIMEOUT
    try:
        return parse_duration(text).total_seconds()
    except ValueError as exc:
        raise ComponentConfigError(
            str(exc), field="spec.initTimeout", file=str(item.file), component=item.doc.metadata.name
        ) from None
