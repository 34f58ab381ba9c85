"""Finding component classes through the ``flowport.components`` entry-point group.

The in-repo components register through the same entry points as any third-party plugin,
keyed by ``spec.type``. Loading uses stevedore's named extension manager, one type at a time,
so a plugin that fails to import breaks only the components that use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

from stevedore import NamedExtensionManager

from contracts import ENTRY_POINT_GROUP, ComponentConfigError, ComponentSpec, WorkflowComponent


@dataclass(frozen=True, slots=True)
class Plugin:
    """A loaded component class and the distribution that provides it."""

    type_name: str
    component_class: type[WorkflowComponent]
    distribution: str | None
    version: str | None


def installed_types() -> list[str]:
    """Every ``spec.type`` some installed distribution provides, sorted."""
    return sorted({entry.name for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def load_plugin(spec: ComponentSpec) -> Plugin:
    """The component class for ``spec.type``; ``ComponentConfigError`` if none can be loaded."""
    failures: list[BaseException] = []

    def on_failure(_manager: object, _entry_point: object, exc: BaseException) -> None:
        failures.append(exc)

    # A NamedExtensionManager rather than stevedore's DriverManager, which logs a warning of its
    # own for a plugin that fails to import: the failure is reported once, as the component's.
    manager: NamedExtensionManager[type[WorkflowComponent]] = NamedExtensionManager(
        namespace=ENTRY_POINT_GROUP,
        names=[spec.type],
        invoke_on_load=False,
        on_load_failure_callback=on_failure,
        on_missing_entrypoints_callback=None,
    )
    if not manager.extensions:
        if failures:
            raise _error(spec, _import_failure(spec.type, failures[0]))
        installed = ", ".join(installed_types()) or "none"
        raise _error(spec, f"unknown component type {spec.type!r}; installed types: {installed}")
    if len(manager.extensions) > 1:
        sources = ", ".join(extension.entry_point.value for extension in manager.extensions)
        raise _error(spec, f"several plugins provide {spec.type!r}: {sources}")
    extension = manager.extensions[0]
    plugin_class: object = extension.plugin
    if not (isinstance(plugin_class, type) and issubclass(plugin_class, WorkflowComponent)):
        raise _error(
            spec,
            f"entry point {extension.entry_point.value!r} for {spec.type!r} is not a "
            "contracts.WorkflowComponent subclass",
        )
    dist = _distribution(spec.type)
    return Plugin(
        type_name=spec.type,
        component_class=plugin_class,
        distribution=dist.name if dist is not None else None,
        version=dist.version if dist is not None else None,
    )


def _distribution(type_name: str) -> metadata.Distribution | None:
    # stevedore's cached entry points do not keep their distribution; importlib's do.
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP, name=type_name):
        return entry.dist
    return None


def _error(spec: ComponentSpec, reason: str) -> ComponentConfigError:
    return ComponentConfigError(reason, field="spec.type", file=spec.source, component=spec.name)


def _import_failure(type_name: str, exc: BaseException) -> str:
    """Why the plugin did not import; for a missing package, the extra that installs it."""
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    dist = _distribution(type_name)
    if missing and dist is not None:
        extras = _extras_providing(dist, missing.partition(".")[0], type_name.rpartition(".")[2])
        if extras:
            installs = " or ".join(f"pip install '{dist.name}[{extra}]'" for extra in extras)
            return f"plugin for {type_name!r} cannot import {missing!r}, which is not installed: {installs}"
    return f"plugin for {type_name!r} failed to import: {type(exc).__name__}: {exc}"


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def _extras_providing(dist: metadata.Distribution, module: str, type_suffix: str) -> list[str]:
    """The extras of ``dist`` that require a distribution named like ``module``; failing that,
    the extra named like the component type's last part (``temporal`` for
    ``workflow.temporal``), when ``dist`` has one."""
    by_extra: dict[str, set[str]] = {}
    for requirement in dist.requires or ():
        name, extra = _REQUIREMENT_NAME.match(requirement), _EXTRA_MARKER.search(requirement)
        if name and extra:
            by_extra.setdefault(extra.group(1), set()).add(_canonical(name.group(1)))
    providing = sorted(extra for extra, names in by_extra.items() if _canonical(module) in names)
    if providing:
        return providing
    return [type_suffix] if type_suffix in by_extra else []


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
